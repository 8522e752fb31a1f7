package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestAddRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "added")
	const doc = "关于支持小微企业发展的通知\n某财〔2023〕5号\n一、对新设立的小微企业给予一次性开办补贴2万元。"
	docs, err := Add(dir, "../../etc/notice.txt", []byte(doc))
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if len(docs) != 1 || docs[0].DocNo != "某财〔2023〕5号" {
		t.Errorf("added %d documents, the first's 文号 %q; want one, 某财〔2023〕5号", len(docs), docs[0].DocNo)
	}
	if _, err := os.Stat(filepath.Join(dir, "notice.txt")); err != nil {
		t.Fatalf("the file is not in the folder (a path in the name must not lead elsewhere): %v", err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty.txt", nil},
		{"binary.txt", []byte{0x00, 0x01, 0x02, 0x81, 0x00, 0xff}},
		{".hidden.txt", []byte(doc)},
	}
	for _, tt := range tests {
		if _, err := Add(dir, tt.name, tt.data); err == nil {
			t.Errorf("Add(%s) succeeded, want an error", tt.name)
		}
	}
	lib, err := Load(Options{Builtin: true, Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Remove(lib, dir, "jzf-2018-4"); !errors.Is(err, ErrNotAdded) {
		t.Errorf("removing a built-in document: got %v, want ErrNotAdded", err)
	}
	if _, err := Remove(lib, dir, docs[0].ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notice.txt")); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}
}

func TestSameFile(t *testing.T) {
	docs := []Document{{ID: "b1"}, {ID: "h-01", File: "h.txt"}, {ID: "n", File: "n.txt"}, {ID: "h-02", File: "h.txt"}}
	tests := []struct {
		d    Document
		want []string
	}{
		{docs[3], []string{"h-02", "h-01"}},
		{docs[2], []string{"n"}},
		{docs[0], nil},
	}
	for _, tt := range tests {
		t.Run(tt.d.ID, func(t *testing.T) {
			if got := SameFile(docs, tt.d); !slices.Equal(got, tt.want) {
				t.Errorf("SameFile = %v, want %v", got, tt.want)
			}
		})
	}
}
