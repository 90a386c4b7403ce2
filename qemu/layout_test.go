package qemu

import (
	"reflect"
	"strings"
	"testing"
)

// checkLayout checks o's Layout, and whether it splits the memory.
func checkLayout(t *testing.T, o Options, want Layout, split bool) {
	t.Helper()
	if got := o.SplitsMemory(); got != split {
		t.Errorf("SplitsMemory = %v, want %v", got, split)
	}
	got, err := o.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Layout:\n got %+v\nwant %+v", got, want)
	}
}

// TestSplitMemory checks the split of -m over NUMA nodes that give no
// memory: QEMU before 5.1 gave each node but the last mem/n rounded down
// to 8 MiB and the last the rest.
func TestSplitMemory(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want Layout
	}{
		{"Nautilus's README, default memory", Options{CPUs: 4, Numa: []Node{{"0-1", ""}, {"2-3", ""}}}, Layout{4, 2048, []NodeLayout{
			{[]int{0, 1}, 1024, []int{10, 20}},
			{[]int{2, 3}, 1024, []int{20, 10}}}}},
		{"one node", Options{CPUs: 2, Memory: "1G", Numa: []Node{{"0-1", ""}}}, Layout{2, 1024, []NodeLayout{
			{[]int{0, 1}, 1024, []int{10}}}}},
		{"share rounded to 8 MiB, the rest on the last", Options{CPUs: 3, Memory: "1000M", Numa: []Node{{"0", ""}, {"1", ""}, {"2", ""}}},
			Layout{3, 1000, []NodeLayout{
				{[]int{0}, 328, []int{10, 20, 20}},
				{[]int{1}, 328, []int{20, 10, 20}},
				{[]int{2}, 344, []int{20, 20, 10}}}}},
		{"a node with neither CPUs nor memory gets a share", Options{CPUs: 2, Memory: "2G", Numa: []Node{{"0-1", ""}, {"", ""}},
			Distances: []Distance{{0, 1, 30}}}, Layout{2, 2048, []NodeLayout{
			{[]int{0, 1}, 1024, []int{10, 30}},
			{nil, 1024, []int{30, 10}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkLayout(t, tc.o, tc.want, true) })
	}
	for _, tc := range []struct {
		mem, n int
		want   []int
		err    string
	}{
		{2048, 2, []int{1024, 1024}, ""},
		{2048, 3, []int{680, 680, 688}, ""},
		{100, 4, []int{24, 24, 24, 28}, ""},
		{7, 1, []int{7}, ""},
		{15, 2, nil, "15M cannot be split over 2 NUMA nodes"},
		{1024, 0, nil, "0 NUMA nodes"},
	} {
		got, err := SplitMemory(tc.mem, tc.n)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SplitMemory(%d, %d) = %v, %v; want error %q", tc.mem, tc.n, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitMemory(%d, %d) = %v, %v; want %v", tc.mem, tc.n, got, err, tc.want)
		}
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want Layout
	}{
		{"defaults", Options{}, Layout{CPUs: 1, MemMiB: 2048}},
		{"no numa", Options{CPUs: 4, Memory: "1G"}, Layout{CPUs: 4, MemMiB: 1024}},
		{"preset, QEMU's default distances", Options{CPUs: 5, Memory: "3G", Nodes: 2}, Layout{5, 3072, []NodeLayout{
			{[]int{0, 1, 2}, 1536, []int{10, 20}},
			{[]int{3, 4}, 1536, []int{20, 10}}}}},
		{"preset, remainder MiB", Options{CPUs: 3, Memory: "1G", Nodes: 3}, Layout{3, 1024, []NodeLayout{
			{[]int{0}, 342, []int{10, 20, 20}},
			{[]int{1}, 341, []int{20, 10, 20}},
			{[]int{2}, 341, []int{20, 20, 10}}}}},
		{"explicit, one-way distances mirrored", Options{CPUs: 6,
			Numa:      []Node{{"0-2", "2G"}, {"3", "1G"}, {"4-5", "1G"}},
			Distances: []Distance{{0, 1, 20}, {0, 2, 30}, {2, 1, 25}}}, Layout{6, 4096, []NodeLayout{
			{[]int{0, 1, 2}, 2048, []int{10, 20, 30}},
			{[]int{3}, 1024, []int{20, 10, 25}},
			{[]int{4, 5}, 1024, []int{30, 25, 10}}}}},
		{"asymmetric, complete", Options{CPUs: 2, Numa: []Node{{"0", "1G"}, {"1", "1G"}},
			Distances: []Distance{{0, 1, 20}, {1, 0, 30}}}, Layout{2, 2048, []NodeLayout{
			{[]int{0}, 1024, []int{10, 20}},
			{[]int{1}, 1024, []int{30, 10}}}}},
		{"split list and a memory-only node", Options{CPUs: 4, Numa: []Node{{"0,2", "1G"}, {"1,3", "1G"}, {"", "512M"}}},
			Layout{4, 2560, []NodeLayout{
				{[]int{0, 2}, 1024, []int{10, 20, 20}},
				{[]int{1, 3}, 1024, []int{20, 10, 20}},
				{nil, 512, []int{20, 20, 10}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkLayout(t, tc.o, tc.want, false) })
	}
	// Layout needs no kernel, but rejects what Args rejects about the shape.
	for _, o := range []Options{
		{Machine: "virt"},
		{CPUs: 256},
		{Machine: MachineMicrovm, CPUs: 2, Nodes: 2},
		{CPUs: 2, Nodes: 2, Distances: []Distance{{0, 1, 9}}},
		{CPUs: 3, Nodes: 3, Distances: []Distance{{0, 1, 20}}},
	} {
		if l, err := o.Layout(); err == nil || !strings.HasPrefix(err.Error(), "qemu: ") {
			t.Errorf("Layout(%+v) = %+v, %v; want an error", o, l, err)
		}
	}
}
