package core

import (
	"slices"
	"testing"
)

// matrixTopology is a Topology of len(dist) nodes with the given distances.
type matrixTopology struct{ dist [][]int }

func (m matrixTopology) Name() string          { return "matrix" }
func (m matrixTopology) Init(*Kernel) error    { return nil }
func (m matrixTopology) NodeOf(int) int        { return 0 }
func (m matrixTopology) Distance(a, b int) int { return m.dist[a][b] }
func (m matrixTopology) Nodes() []Node {
	n := make([]Node, len(m.dist))
	for i := range n {
		n[i].ID = i
	}
	return n
}

func TestNearestNodes(t *testing.T) {
	// Not symmetric in order: node 0's nearest is 2, then 3, then 1;
	// node 3 sees 1 and 2 at the same distance (tie by number).
	topo := matrixTopology{dist: [][]int{
		{10, 40, 20, 30},
		{25, 10, 35, 15},
		{20, 30, 10, 40},
		{50, 22, 22, 10},
	}}
	want := [][]int{
		{0, 2, 3, 1},
		{1, 3, 0, 2},
		{2, 0, 1, 3},
		{3, 1, 2, 0},
	}
	for from, w := range want {
		if got := NearestNodes(topo, from); !slices.Equal(got, w) {
			t.Errorf("NearestNodes(%d) = %v, want %v", from, got, w)
		}
	}
	for _, bad := range []int{-1, 4} {
		if got := NearestNodes(topo, bad); got != nil {
			t.Errorf("NearestNodes(%d) = %v, want nil", bad, got)
		}
	}
	one := matrixTopology{dist: [][]int{{10}}}
	if got := NearestNodes(one, 0); !slices.Equal(got, []int{0}) {
		t.Errorf("one node: %v", got)
	}
}
