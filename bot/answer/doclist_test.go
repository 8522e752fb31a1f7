package answer

import "testing"

func TestAsksDocuments(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"融资担保方面省里都出过哪些文件", true},
		{"关于稳岗补贴有哪些政策文件", true},
		{"技术改造的文件有哪些", true},
		{"出台过什么支持民营企业的政策", true},
		{"小微企业有哪些优惠政策", false},
		{"研发费用加计扣除要留存哪些资料", false},
		{"申报需要什么材料", false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := asksDocuments(tt.q); got != tt.want {
				t.Errorf("asksDocuments = %v, want %v", got, tt.want)
			}
		})
	}
}
