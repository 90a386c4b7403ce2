// Command hello is a stand-in /init for linuxguest's host tests: they only
// pack it, never boot it.
package main

import "fmt"

func main() { fmt.Println("hello") }
