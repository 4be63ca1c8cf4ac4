package parameters

import (
	"context"
	"fmt"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// BenchmarkByPath reads one 10-parameter path among total parameters: the
// cost must not grow with the total (one prefix scan), nor with a deep
// subtree under the path when the read is one level.
func BenchmarkByPath(b *testing.B) {
	for _, total := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("total=%d", total), func(b *testing.B) {
			feed := store.WithFeed(memstore.New())
			s := New(Config{Store: feed, Feed: feed})
			ctx := context.Background()
			str := "v"
			for i := 0; i < total; i++ {
				name := fmt.Sprintf("/bulk/%d/p%d", i%100, i)
				if i < 10 {
					name = fmt.Sprintf("/app/p%d", i)
				} else if i < total/2 {
					name = fmt.Sprintf("/app/deep/%d/p%d", i%50, i) // a large subtree under /app
				}
				if _, err := s.PutParameter(ctx, &PutParameterRequest{Name: name, Value: &str, Type: typeString}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := s.GetParametersByPath(ctx, &GetParametersByPathRequest{Path: "/app"})
				if err != nil || len(out.Parameters) != 10 {
					b.Fatalf("%v, %d", err, len(out.Parameters))
				}
			}
		})
	}
}
