package mqtt

import "fmt"

// Format makes every fmt verb print String, and %#v print GoString: a
// verb such as %d would otherwise print the fields one by one, the
// password among them.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}
