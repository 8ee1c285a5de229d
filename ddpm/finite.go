package ddpm

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// firstNotFinite returns the index and value of flat's first NaN or infinity, or −1.
func firstNotFinite[T float32 | float64](flat []T) (int, float64) {
	for i, x := range flat {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i, float64(x)
		}
	}
	return -1, 0
}

// checkFinite refuses samples with a NaN or an infinity, which images and the FID would silently show as
// black pixels: a model whose outputs are not finite is named instead.
func checkFinite[F float32 | float64](x []F) error {
	if j, v := firstNotFinite(x); j >= 0 {
		return fmt.Errorf("the sample holds a non-finite value (%v at %d): the model outputs values that are not finite; nothing is returned", v, j)
	}
	return nil
}

// firstNonFiniteVariable names the first variable of ctx (metrics left out) holding a NaN or an infinity,
// or returns "" where there is none (or no ctx): Train refuses to go on from such a context and
// Checkpointer.Save to write it.
func firstNonFiniteVariable(ctx *context.Context) string {
	if ctx == nil {
		return ""
	}
	for v := range ctx.IterVariables() {
		if value, err := v.Value(); err == nil && !strings.HasPrefix(v.Scope(), metricsScope) && finite(value) != nil {
			return v.ScopeAndName()
		}
	}
	return ""
}
