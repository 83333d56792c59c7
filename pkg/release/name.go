package release

import "fmt"

// MaxNameLength is the longest release name accepted. It leaves room in the 63-character
// label and Lease names derived from it, as Helm does.
const MaxNameLength = 53

// ValidateName checks that name can name a release: a DNS label (lowercase letters, digits
// and '-', starting and ending with a letter or digit) of at most MaxNameLength characters.
// The error says what is wrong and what is allowed.
func ValidateName(name string) error {
	const rule = "a release name must be lowercase letters, digits and '-', start and end with a letter or digit, and be at most 53 characters"
	switch {
	case name == "":
		return fmt.Errorf("invalid release name: empty; %s", rule)
	case len(name) > MaxNameLength:
		return fmt.Errorf("invalid release name %q: %d characters; %s", name, len(name), rule)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(name)-1
		if !ok {
			return fmt.Errorf("invalid release name %q: character %q at position %d; %s", name, c, i+1, rule)
		}
	}
	return nil
}
