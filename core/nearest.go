package core

import "slices"

// NearestNodes returns the nodes of t in the order an allocation for node
// from falls back through them: from itself first, then the others by
// Distance(from, n) ascending, ties broken by node number. A from outside
// t's nodes yields nil. It is the one definition of "fallback by distance"
// in the tree: a Topology's own ordering and every Memory's fallback use it.
func NearestNodes(t Topology, from int) []int {
	nodes := t.Nodes()
	if from < 0 || from >= len(nodes) {
		return nil
	}
	order := make([]int, 0, len(nodes))
	for i := range nodes {
		if i != from {
			order = append(order, i)
		}
	}
	// Stable on ascending node numbers, so equal distances keep that order.
	slices.SortStableFunc(order, func(a, b int) int {
		return t.Distance(from, a) - t.Distance(from, b)
	})
	return append([]int{from}, order...)
}
