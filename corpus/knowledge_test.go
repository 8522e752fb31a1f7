package corpus

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestNoCorpusKnowledgeInCode proves that what is true of the built-in
// corpus — its region, its cities, its years, the hotlines it refers
// people to — is data shipped with it (scope.yaml), not code: no Go file
// outside tests, and no template or page, names any of it. The cities
// are read from the data itself, so a new one is checked too.
func TestNoCorpusKnowledgeInCode(t *testing.T) {
	var sc Scope
	data, err := os.ReadFile("scope.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &sc); err != nil {
		t.Fatal(err)
	}
	// Numbers count only standing alone: 0123456789 names no hotline.
	// 冀 counts where it opens a document number or a department (冀政发,
	// 冀财金); in the set of every province's abbreviation it names none.
	numbers := regexp.MustCompile(`(?:^|[^0-9])(2008|12345|12366)(?:[^0-9]|$)|(冀[政财办发字制科工税]+)`)
	banned := []string{"河北"}
	banned = append(banned, sc.Cities...)
	banned = append(banned, sc.Home...)
	if len(sc.Cities) == 0 || len(sc.Home) == 0 {
		t.Fatalf("scope.yaml lists no cities or home words; the check would be empty")
	}
	root := ".."
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == "testdata" || name == "docs" || (strings.HasPrefix(name, ".") && name != "..") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(name) {
		case ".go", ".tmpl", ".html", ".js", ".css":
		default:
			return nil
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			for _, w := range banned {
				if strings.Contains(line, w) {
					t.Errorf("%s:%d names %q, which belongs in the corpus's data: %s", p, i+1, w, strings.TrimSpace(line))
				}
			}
			if m := numbers.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d names %q, which belongs in the corpus's data: %s", p, i+1, m[1]+m[2], strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the walk rooted at the repository?", checked)
	}
}
