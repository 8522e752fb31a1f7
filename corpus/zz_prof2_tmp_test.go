package corpus

import "testing"

func BenchmarkZZTmp(b *testing.B) {
	for _, shape := range []string{"lines", "headings"} {
		body := genShape(shape, 1)
		b.Run(shape, func(b *testing.B) {
			for b.Loop() {
				d := Document{ID: "x", Body: body}
				Cut(&d, DefaultChunkSize)
			}
		})
	}
}
