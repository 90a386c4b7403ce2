package core

import "fmt"

// adopt makes an initialised module what the kernel uses, or says why it
// cannot, where core does
// the wiring rather than trusting each implementation to:
//   - a Topology: every CPU's Node is NodeOf its index;
//   - a Clock: the runtime's time switches to it (useClock);
//   - a Console: kernel output switches to it (useConsole) and its input
//     starts filling k.Input.
//
// useClock and useConsole are platform code in a kernel and nothing on a
// host, where core's tests run chooseModules with fakes.
func (k *Kernel) adopt(kind Kind, m Module) error {
	switch kind {
	case KindTopology:
		t := m.(Topology)
		nodes := len(t.Nodes())
		for i := range k.CPUs {
			n := t.NodeOf(i)
			if n < 0 || n >= nodes {
				return fmt.Errorf("NodeOf(%d) = %d, but there are %d nodes", i, n, nodes)
			}
			k.CPUs[i].Node = n
		}
	case KindClock:
		useClock(m.(Clock))
	case KindConsole:
		c := m.(Console)
		useConsole(c)
		in := newConsoleInput(InputBufferSize)
		if err := c.StartInput(in.Deliver); err != nil {
			k.Warnings = append(k.Warnings, "console "+c.Name()+": no input: "+err.Error())
			return nil
		}
		k.Input = in
	}
	return nil
}
