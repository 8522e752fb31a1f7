package corpus

import (
	_ "embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

//go:embed regions.yaml
var regionsYAML []byte

// region is one provincial-level region (regions.yaml).
type region struct {
	Name  string   `yaml:"name"`
	Short []string `yaml:"short"`
	Code  string   `yaml:"code"` // first character of its documents' numbers
	// Cities are its capital and other large cities, which a question
	// may name instead of it.
	Cities []string `yaml:"cities"`
	// Spoken is the word by which the mainland's documents speak of it
	// when a measure reaches it (境外 for Hong Kong).
	Spoken string `yaml:"spoken"`
}

// gazetteer is regions.yaml.
type gazetteer struct {
	Own     []string `yaml:"own"`
	Local   []string `yaml:"local"`
	Regions []region `yaml:"regions"`
}

func readGazetteer() (gazetteer, error) {
	var g gazetteer
	if err := yaml.Unmarshal(regionsYAML, &g); err != nil {
		return gazetteer{}, fmt.Errorf("read regions: %w", err)
	}
	return g, nil
}

// cityIssuerRe finds a city that issues a document: 杭州市人民政府,
// 杭州市财政局 → 杭州.
var cityIssuerRe = regexp.MustCompile(`^(\p{Han}{2,4}?)市(?:人民政府|政府|委|财政局|税务局|发展和改革委员会|发展改革委|经济和信息化局|科学技术局|科技局|商务局|人力资源和社会保障局|市场监督管理局|办公厅|办公室)`)

// cityBodyRe is the whole name of a city's body, whatever it is called
// (青岛市地方金融监督管理局, 厦门市工业和信息化局 → 青岛, 厦门), as an issuer
// field gives one; a national one named 国家市场… is none.
var cityBodyRe = regexp.MustCompile(`^(\p{Han}{2,4}?)市(?:[^场]\p{Han}{0,14})?(?:政府|局|委员会|委|厅|办公室|中心)$`)

// Cities gives each document's issuing city by ID, "" for a document no
// city's body issued: a city's measures apply in that city alone.
func (l *Library) Cities() map[string]string {
	out := make(map[string]string, len(l.docs))
	for i := range l.docs {
		if cs := citiesIssuing(&l.docs[i]); len(cs) > 0 {
			out[l.docs[i].ID] = cs[0]
		}
	}
	return out
}

// citiesIssuing are the cities whose bodies issued d, by its issuer (each
// body) or its title (杭州市人民政府关于… → 杭州).
func citiesIssuing(d *Document) []string {
	var out []string
	for _, who := range strings.Fields(d.Issuer) {
		m := cityIssuerRe.FindStringSubmatch(who)
		if m == nil {
			m = cityBodyRe.FindStringSubmatch(who)
		}
		if m != nil {
			out = append(out, m[1])
		}
	}
	if m := cityIssuerRe.FindStringSubmatch(d.Title); m != nil {
		out = append(out, m[1])
	}
	return out
}

// deriveScope works out what a corpus without scope data covers from its
// documents: the regions whose bodies issued them, read from the issuer,
// the title or the 文号's first character, and the cities among the
// issuers. Every other region is one the corpus does not hold, unless the
// corpus is national only. National documents (国务院, 财政部…) name no
// region.
func deriveScope(docs []Document) (Scope, error) {
	gz, err := readGazetteer()
	if err != nil {
		return Scope{}, err
	}
	rs := gz.Regions
	count := map[int]int{}
	// provincial counts a region's own documents; a region held only
	// through its cities' documents is named by them (广东省深圳市).
	provincial := map[int]int{}
	cityOf := map[int]map[string]bool{}
	cities := map[string]bool{}
	national := 0 // documents of national bodies (财政部, 国务院)
	for i := range docs {
		d := &docs[i]
		issuers := citiesIssuing(d)
		for _, c := range issuers {
			cities[c] = true
		}
		if r := regionOf(rs, d, issuers); r >= 0 {
			count[r]++
			provincial[r]++
			continue
		}
		if len(issuers) == 0 && (d.Issuer != "" || d.DocNo != "") {
			national++
		}
		for _, c := range issuers {
			if r := provinceOf(rs, c); r >= 0 {
				count[r]++
				if cityOf[r] == nil {
					cityOf[r] = map[string]bool{}
				}
				cityOf[r][c] = true
				break
			}
		}
	}
	var held []int
	for r := range count {
		held = append(held, r)
	}
	sort.Slice(held, func(i, j int) bool {
		if count[held[i]] != count[held[j]] {
			return count[held[i]] > count[held[j]]
		}
		return held[i] < held[j]
	})
	var sc Scope
	var names []string
	isHeld := map[int]bool{}
	for _, r := range held {
		isHeld[r] = true
		name := rs[r].Name
		var cs []string
		for c := range cityOf[r] {
			cs = append(cs, c+"市")
		}
		sort.Strings(cs)
		switch {
		case len(cs) == 0:
		case provincial[r] == 0:
			name += strings.Join(cs, "、")
		default:
			// Users in those cities are told their own rules are here.
			name += "、" + strings.Join(cs, "、")
		}
		names = append(names, name)
		sc.Home = append(sc.Home, rs[r].Short...)
	}
	sc.Region = strings.Join(names, "、")
	switch {
	case len(held) > 0 && national > 0:
		// Users are told the national notices are there too.
		sc.Level = "政策（另含国家政策）"
	case len(held) > 0:
		sc.Level = "政策"
	}
	if len(held) > 0 {
		// A question about its own province asks about the region held.
		sc.Home = append(sc.Home, gz.Own...)
	}
	if len(cities) == 0 {
		// Provincial documents and no city's: a city's own rules (宁波市
		// 有什么…, 市里的补贴) are not here, though the province's apply
		// in its cities.
		for _, r := range held {
			if provincial[r] > 0 {
				sc.Cities = append(sc.Cities, rs[r].Cities...)
			}
		}
		if len(sc.Cities) > 0 {
			sc.LocalPolicy = gz.Local
		}
	}
	// A province whose cities' documents are held beside its own: its
	// other cities' own rules (济南对…, 漳州市今年有没有…) are not here,
	// though its measures apply there too.
	for _, r := range held {
		if len(cityOf[r]) == 0 {
			continue
		}
		for _, c := range rs[r].Cities {
			if !cities[c] {
				sc.Cities = append(sc.Cities, c)
			}
		}
	}
	for c := range cities {
		sc.Home = append(sc.Home, c)
	}
	sort.Strings(sc.Home[len(sc.Home)-len(cities):])
	if len(held) == 0 {
		// National documents only: they apply in every region, and none
		// is another region's.
		return sc, nil
	}
	for i, r := range rs {
		if isHeld[i] {
			continue
		}
		sc.OtherRegions = append(sc.OtherRegions, r.Short...)
		for _, c := range r.Cities {
			// A city whose own bodies issued documents here is held,
			// whatever its province.
			if !cities[c] {
				sc.OtherRegions = append(sc.OtherRegions, c)
			}
		}
	}
	return sc, nil
}

// speakOf adds to s.Partners, for each other region the gazetteer says
// documents speak of by a word of their own (香港 → 境外), that word,
// unless the scope names one already.
func speakOf(s Scope) (Scope, error) {
	gz, err := readGazetteer()
	if err != nil {
		return Scope{}, err
	}
	// The caller's map is not written to: a scope is a value.
	partners := maps.Clone(s.Partners)
	for _, r := range gz.Regions {
		if r.Spoken == "" {
			continue
		}
		for _, n := range append(slices.Clone(r.Short), r.Cities...) {
			if !slices.Contains(s.OtherRegions, n) || partners[n] != "" {
				continue
			}
			if partners == nil {
				partners = map[string]string{}
			}
			partners[n] = r.Spoken
		}
	}
	s.Partners = partners
	return s, nil
}

// widenScope widens a corpus's scope s (the built-in one's) to hold users'
// documents loaded beside it too: the regions and cities they hold become
// home rather than other regions, and are named in the summary. Documents
// of national bodies only change nothing: they apply everywhere.
func widenScope(s Scope, docs []Document) (Scope, error) {
	o, err := deriveScope(docs)
	if err != nil || o.Region == "" {
		return s, err
	}
	gz, err := readGazetteer()
	if err != nil {
		return Scope{}, err
	}
	known := map[string]bool{}
	for _, r := range gz.Regions {
		for _, n := range append(slices.Clone(r.Short), r.Cities...) {
			known[n] = true
		}
	}
	// A region the gazetteer knows is held when the added documents'
	// scope does not call it another; one it does not know is held when
	// named as home.
	var others []string
	for _, r := range s.OtherRegions {
		if slices.Contains(o.Home, r) || known[r] && !slices.Contains(o.OtherRegions, r) {
			continue
		}
		others = append(others, r)
	}
	s.OtherRegions = others
	for _, h := range o.Home {
		if !slices.Contains(s.Home, h) {
			s.Home = append(s.Home, h)
		}
	}
	s.Cities = append(slices.Clone(s.Cities), o.Cities...)
	if len(s.LocalPolicy) == 0 {
		s.LocalPolicy = o.LocalPolicy
	}
	s.Added = o.Region
	return s, nil
}

// provinceOf is the region whose cities the gazetteer lists city among,
// or -1.
func provinceOf(rs []region, city string) int {
	return slices.IndexFunc(rs, func(r region) bool { return slices.Contains(r.Cities, city) })
}

// regionOf is the region that issued a document, or -1 for a national
// one or one that does not say; cities are the cities whose bodies issued
// it (citiesIssuing).
func regionOf(rs []region, d *Document, cities []string) int {
	for i, r := range rs {
		for _, s := range append([]string{r.Name}, r.Short...) {
			if strings.HasPrefix(d.Issuer, s) || strings.HasPrefix(d.Title, s) {
				return i
			}
		}
		// A province's full name inside an issuer is the body's region
		// too: 国家税务总局浙江省税务局, 中共浙江省委.
		if strings.Contains(d.Issuer, r.Name) {
			return i
		}
	}
	// 浙政办发〔2023〕12号: a provincial 文号 starts with the region's
	// character and names its body after it; a national one (财税, 国发)
	// starts with neither. A city's body's starts with the city's
	// character, which may be a province's (青人社发 of 青岛市, not 青海;
	// 宁政发 of 南京市, not 宁夏): a document a city issued is not read by
	// it.
	if len(cities) > 0 {
		return -1
	}
	if first, size := utf8.DecodeRuneInString(d.DocNo); size > 0 {
		rest := d.DocNo[size:]
		for i, r := range rs {
			if string(first) == r.Code && rest != "" && !strings.HasPrefix(rest, "〔") {
				return i
			}
		}
	}
	return -1
}

// Regions gives the region that issued each document, by ID: its name in
// the gazetteer (a city's document, its province's; a city the gazetteer
// does not know, its own name, 晋江市), or "" for a national document or
// one that does not say.
func (l *Library) Regions() map[string]string {
	out := make(map[string]string, len(l.docs))
	gz, err := readGazetteer()
	if err != nil {
		// The gazetteer is embedded and read by every load; a failure here
		// is a broken build, and no region is the safe answer.
		return out
	}
	for i := range l.docs {
		d := &l.docs[i]
		cs := citiesIssuing(d)
		if r := regionOf(gz.Regions, d, cs); r >= 0 {
			out[d.ID] = gz.Regions[r].Name
			continue
		}
		out[d.ID] = ""
		if len(cs) > 0 {
			// A city's body issued it: its province's when the gazetteer
			// knows the city, else the city's own, never national.
			out[d.ID] = cs[0] + "市"
			if r := provinceOf(gz.Regions, cs[0]); r >= 0 {
				out[d.ID] = gz.Regions[r].Name
			}
		}
	}
	return out
}
