package corpus

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// makeXLSX writes a workbook: sheets by name, each its rows of cells; a
// sheet named with a leading "-" is hidden (the dash dropped); a first
// row of one cell is merged across the row below, as a title row is.
func makeXLSX(t testing.TB, sheets [][2]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		name, rows := s[0].(string), s[1].([][]string)
		hidden := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(name, "-")
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(rows) > 1 && len(rows[0]) == 1 {
			end, _ := excelize.CoordinatesToCellName(len(rows[1]), 1)
			if err := f.MergeCell(name, "A1", end); err != nil {
				t.Fatal(err)
			}
		}
		if hidden {
			if err := f.SetSheetVisible(name, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var qingdanRows = [][]string{
	{"某市2026年惠企政策清单"},
	{"序号", "政策名称", "政策内容", "政策依据", "责任单位"},
	{"1", "技术改造补助", "对设备投资500万元以上的项目按10%给予补助", "某政发〔2025〕8号", "市工信局"},
	{"2", "首台套奖励", "", "某工信发〔2025〕3号", "市工信局"},
	{"3", "人才公寓", "租金减半\n最长3年", "", ""},
}

// TestReadXLSX: a 惠企政策清单 kept in Excel reads as one clause a
// numbered row, each cell named by its column, an empty cell keeping the
// others under their columns; the title row titles it; a hidden sheet is
// not read; another sheet's name comes before its rows.
func TestReadXLSX(t *testing.T) {
	data := makeXLSX(t, [][2]any{
		{"清单", qingdanRows},
		{"-草稿", [][]string{{"未定稿", "不公开", "内部", "讨论"}}},
		{"说明", [][]string{{"以上政策以原文为准，请向责任单位咨询。"}}},
	})
	text, err := readText(context.Background(), "qingdan.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	checkReadText(t, text)
	if strings.Contains(text, "未定稿") {
		t.Errorf("a hidden sheet was read:\n%s", text)
	}
	docs, err := readDocument(context.Background(), "qingdan.xlsx", data)
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents, err %v", len(docs), err)
	}
	d := docs[0]
	if d.Title != "某市2026年惠企政策清单" {
		t.Errorf("title %q", d.Title)
	}
	want := map[string]string{
		"1": "1. 技术改造补助：对设备投资500万元以上的项目按10%给予补助；政策依据：某政发〔2025〕8号；责任单位：市工信局。",
		"2": "2. 首台套奖励；政策依据：某工信发〔2025〕3号；责任单位：市工信局。",
		"3": "3. 人才公寓：租金减半 最长3年。",
	}
	checkClauses(t, d, want)
	if !strings.Contains(d.Body, "说明\n以上政策以原文为准") {
		t.Errorf("the second sheet is not under its name:\n%s", d.Body)
	}
}

// TestReadXLSXBad: a damaged, empty, legacy or endless workbook is a
// clear error of its kind.
func TestReadXLSXBad(t *testing.T) {
	good := makeXLSX(t, [][2]any{{"清单", qingdanRows}})
	long := make([][]string, maxXLSXRows+1)
	for i := range long {
		long[i] = []string{"行"}
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"cut short", good[:len(good)/2], ErrDamaged},
		{"not a workbook", []byte("这不是表格"), ErrDamaged},
		{"no text", makeXLSX(t, [][2]any{{"Sheet1", [][]string{}}}), ErrEmpty},
		{"an Excel 97–2003 file", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...), ErrUnsupported},
		{"too many rows", makeXLSX(t, [][2]any{{"Sheet1", long}}), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readText(context.Background(), "a.xlsx", tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			checkReadError(t, err)
		})
	}
}

func FuzzReadXLSX(f *testing.F) {
	good := makeXLSX(f, [][2]any{{"清单", qingdanRows}})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.xlsx", data) })
}
