package qemu

import (
	"reflect"
	"strings"
	"testing"
)

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
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.o.Layout()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Layout:\n got %+v\nwant %+v", got, tc.want)
			}
		})
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
