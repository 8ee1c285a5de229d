package ddpm

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Gradients that this package defines for some of the nodes it builds, where GoMLX v0.26's own
// formulation is slow on XLA's CPU backend. GoMLX looks gradients up by node type in
// graph.VJPRegistration (documented as changeable); the hook below consults this table first and
// falls back to GoMLX's gradient for every node that ddpm did not tag, so code outside this package
// that builds the same operations is unaffected.
var customVJPs sync.Map // weak.Pointer[Node] → VJP

// gomlxVJPs holds GoMLX's own gradient of each hooked node type, for the fallback and for custom
// gradients that reuse part of it.
var gomlxVJPs = map[NodeType]VJP{}

func init() {
	hookVJP(NodeTypeDotGeneral)
	hookVJP(NodeTypeConvGeneral)
}

// hookVJP makes the gradient of nodes of type t look in customVJPs first.
func hookVJP(t NodeType) {
	gomlx, ok := VJPRegistration[t]
	if !ok {
		exceptions.Panicf("ddpm: GoMLX defines no gradient for %s", t)
	}
	gomlxVJPs[t] = gomlx
	VJPRegistration[t] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		if f, ok := customVJPs.Load(weak.Make(node)); ok {
			return f.(VJP)(node, v, outputShape)
		}
		return gomlx(node, v, outputShape)
	}
}

// gomlxVJP is GoMLX's own gradient for nodes of type t, which must be hooked.
func gomlxVJP(t NodeType) VJP {
	f, ok := gomlxVJPs[t]
	if !ok {
		exceptions.Panicf("ddpm: no gradient of %s was hooked", t)
	}
	return f
}

// withVJP registers f as the gradient of node and returns node. The entry goes away with the node.
func withVJP(node *Node, f VJP) *Node {
	key := weak.Make(node)
	customVJPs.Store(key, f)
	runtime.AddCleanup(node, func(k weak.Pointer[Node]) { customVJPs.Delete(k) }, key)
	return node
}

// batchMatMul is the batched matrix product of a [B, ·, ·] and b [B, ·, ·] over axis aK of a and
// bK of b (each 1 or 2), batched over axis 0: the result is [B, a's free axis, b's free axis]. It
// is Einsum's "bik,bjk->bij" and its relatives.
//
// Why not Einsum: GoMLX v0.26 differentiates a product by multiplying the broadcast operands and
// summing (for attention at 7×7 × 16 channels and batch 128, tensors of [128, 49, 49, 16] per
// gradient). Here the gradients are themselves batched matrix products, as in every other framework:
// for y = a·b, ∂a = v·b and ∂b = v·a with the free axes contracted.
func batchMatMul(a *Node, aK int, b *Node, bK int) *Node {
	if a.Rank() != 3 || b.Rank() != 3 || (aK != 1 && aK != 2) || (bK != 1 && bK != 2) {
		exceptions.Panicf("batchMatMul: want rank-3 operands contracted over axis 1 or 2, got %s (axis %d) and %s (axis %d)",
			a.Shape(), aK, b.Shape(), bK)
	}
	aFree, bFree := 3-aK, 3-bK
	y := DotGeneral(a, []int{aK}, []int{0}, b, []int{bK}, []int{0})
	return withVJP(y, func(_ *Node, vs []*Node, _ shapes.Shape) []*Node {
		v := vs[0] // [B, a's free, b's free]
		// ∂a[B, free_a, K] = Σ_j v[B, free_a, j] b[B, j, K]: contract v's axis 2 with b's free axis.
		da := DotGeneral(v, []int{2}, []int{0}, b, []int{bFree}, []int{0})
		db := DotGeneral(v, []int{1}, []int{0}, a, []int{aFree}, []int{0})
		if aK == 1 { // a is [B, K, free]
			da = TransposeAllAxes(da, 0, 2, 1)
		}
		if bK == 1 {
			db = TransposeAllAxes(db, 0, 2, 1)
		}
		return []*Node{da, db}
	})
}

// customGradient returns y, a function of x computed without gradients (from StopGradient(x)), whose
// gradient with respect to x is dx(v), v being the gradient with respect to y; y has x's shape. It is
// y + (x − x) with GoMLX's IdentityWithCustomGradient on the first x: the value is y, and the
// gradient reaches x only through dx.
func customGradient(x, y *Node, dx func(v *Node) *Node) *Node {
	if !x.Shape().Equal(y.Shape()) {
		exceptions.Panicf("customGradient: y has shape %s, x %s: they must be equal", y.Shape(), x.Shape())
	}
	return Add(StopGradient(y), Sub(IdentityWithCustomGradient(x, func(_, v *Node) *Node { return dx(v) }), StopGradient(x)))
}
