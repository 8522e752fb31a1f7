package corpus

import "testing"

func TestFoldDocNo(t *testing.T) {
	want := FoldDocNo("冀政办字〔2017〕127号")
	for _, in := range []string{"冀政办字﹝2017﹞127号", "冀政办字[2017]127号", "冀政办字（2017）127号", "冀政办字 〔2017〕 127号"} {
		if got := FoldDocNo(in); got != want {
			t.Errorf("FoldDocNo(%q) = %q, want %q", in, got, want)
		}
	}
	if FoldDocNo("财税〔2018〕77号") == FoldDocNo("财税〔2018〕7号") {
		t.Error("different numbers fold alike")
	}
}
