package core

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Command is one command of a console's shell, added by the module that
// has it (AddCommand, from init()), so the commands of a module that is
// not linked do not exist. (Not a Register function: commands are not a
// kind of module, and the image tool looks for Register calls to find
// modules.) The console module's root shell runs them; any
// shell may.
type Command struct {
	// Name is what is typed: one word, no white space.
	Name string
	// Usage is the arguments, as a usage line shows them after the name
	// ("ADDR [N]"); empty for a command without arguments.
	Usage string
	// Help says in one line what the command does (help lists it).
	Help string
	// Run runs the command with the words typed after its name, writing
	// its output to w. An error wrapping ErrUsage makes the shell print
	// the usage line; any other error is printed as it is. Run is called
	// from a goroutine of the shell; a panic in it is the shell's to
	// report.
	Run func(args []string, w io.Writer) error
}

// ErrUsage is wrapped by a Command's error for bad arguments: the shell
// then shows the usage line.
var ErrUsage = errors.New("bad arguments")

// UsageError is an error wrapping ErrUsage that says what was wrong.
func UsageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

var commands struct {
	sync.Mutex
	byName map[string]Command
}

// AddCommand adds a shell command. Call it from init(). A command
// without a name or Run, with white space in its name, or a second
// command of the same name panics: two modules claiming one word is a
// programming error.
func AddCommand(c Command) {
	if c.Name == "" || strings.ContainsAny(c.Name, " \t\r\n") || c.Run == nil || strings.Contains(c.Help, "\n") {
		panic(fmt.Sprintf("core: AddCommand(%q): a command needs a one-word name, a Run function and a one-line Help", c.Name))
	}
	commands.Lock()
	defer commands.Unlock()
	if _, dup := commands.byName[c.Name]; dup {
		panic(fmt.Sprintf("core: AddCommand: command %q registered twice", c.Name))
	}
	if commands.byName == nil {
		commands.byName = map[string]Command{}
	}
	commands.byName[c.Name] = c
}

// Commands returns the registered commands, sorted by name.
func Commands() []Command {
	commands.Lock()
	defer commands.Unlock()
	cs := make([]Command, 0, len(commands.byName))
	for _, c := range commands.byName {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b Command) int { return strings.Compare(a.Name, b.Name) })
	return cs
}

// LookupCommand returns the command registered under name.
func LookupCommand(name string) (Command, bool) {
	commands.Lock()
	defer commands.Unlock()
	c, ok := commands.byName[name]
	return c, ok
}
