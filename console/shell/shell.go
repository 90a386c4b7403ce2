// Package shell is the console's command shell: a prompt, a line edited by
// package lineedit, and the commands modules register with core
// (core.AddCommand), run one at a time.
//
// A line is split into words at white space; double or single quotes keep
// white space inside a word. The first word names the command. An unknown
// command, bad arguments (the command's error wraps core.ErrUsage: the
// usage line is shown) and a command that panics (the panic and its stack
// are shown) all end with the prompt again: nothing a line holds stops the
// shell. A command runs to its end; Ctrl-C cancels the line being typed,
// not a running command.
package shell

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/aerokernel/aero/console/lineedit"
	"github.com/aerokernel/aero/core"
)

// Shell reads lines from In and runs them, writing to Out.
type Shell struct {
	Prompt string
	In     io.Reader
	Out    io.Writer
	// Commands lists the commands (nil: core.Commands); help is the
	// shell's own.
	Commands func() []core.Command

	ed lineedit.Editor
}

// Run shows the prompt and runs lines until In ends (a console's input
// does not: Run then never returns).
func (s *Shell) Run() error {
	s.ed.Out = s.Out
	buf := make([]byte, 256)
	io.WriteString(s.Out, s.Prompt)
	for {
		n, err := s.In.Read(buf)
		for _, c := range buf[:n] {
			switch s.ed.Feed(c) {
			case lineedit.Line:
				s.Exec(s.ed.Line())
				io.WriteString(s.Out, s.Prompt)
			case lineedit.Cancelled:
				io.WriteString(s.Out, s.Prompt)
			}
		}
		if err != nil {
			return err
		}
	}
}

// Editor returns the shell's line editor (its history, its counts).
func (s *Shell) Editor() *lineedit.Editor { return &s.ed }

func (s *Shell) commands() []core.Command {
	var cs []core.Command
	if s.Commands != nil {
		cs = s.Commands()
	} else {
		cs = core.Commands()
	}
	return append(cs, s.help())
}

func (s *Shell) lookup(name string) (core.Command, bool) {
	for _, c := range s.commands() {
		if c.Name == name {
			return c, true
		}
	}
	return core.Command{}, false
}

func (s *Shell) help() core.Command {
	return core.Command{Name: "help", Usage: "[COMMAND]", Help: "list the commands, or show one's usage",
		Run: func(args []string, w io.Writer) error {
			switch len(args) {
			case 0:
				cs := s.commands()
				width := 0
				for _, c := range cs {
					width = max(width, len(c.Name))
				}
				sortCommands(cs)
				for _, c := range cs {
					fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Help)
				}
				return nil
			case 1:
				c, ok := s.lookup(args[0])
				if !ok {
					return fmt.Errorf("no command %q", args[0])
				}
				fmt.Fprintf(w, "usage: %s\n%s\n", usage(c), c.Help)
				return nil
			}
			return core.UsageError("one command at most")
		}}
}

func sortCommands(cs []core.Command) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Name < cs[j-1].Name; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func usage(c core.Command) string {
	if c.Usage == "" {
		return c.Name
	}
	return c.Name + " " + c.Usage
}

// Exec runs one line.
func (s *Shell) Exec(line string) {
	words, err := Split(line)
	if err != nil {
		fmt.Fprintf(s.Out, "%v\n", err)
		return
	}
	if len(words) == 0 {
		return
	}
	c, ok := s.lookup(words[0])
	if !ok {
		fmt.Fprintf(s.Out, "unknown command %q: help lists the commands\n", words[0])
		return
	}
	if err := run(c, words[1:], s.Out); err != nil {
		if errors.Is(err, core.ErrUsage) {
			fmt.Fprintf(s.Out, "%s: %v\nusage: %s\n", c.Name, err, usage(c))
			return
		}
		fmt.Fprintf(s.Out, "%s: %v\n", c.Name, err)
	}
}

// run runs c, turning a panic into an error that carries the stack.
func run(c core.Command, args []string, w io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Run(args, w)
}

// Split splits a line into words: white space separates them, and double
// or single quotes keep it inside one ("a b" is one word; quotes of the
// other kind inside are kept). An unterminated quote is an error.
func Split(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				word.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
