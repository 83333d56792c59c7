package manifest

// duplicates reports every object whose key was already seen, naming the first definition
// and the repeated one. Keys are compared as written: an object without a namespace and
// one with an explicit namespace are told apart here; SetDefaultNamespace catches them
// once the default namespace is known.
func duplicates(locs []located) []error {
	seen := make(map[Key]Location, len(locs))
	var errs []error
	for _, l := range locs {
		k := KeyOf(l.obj)
		if first, ok := seen[k]; ok {
			errs = append(errs, &DuplicateError{Key: k, First: first, Second: l.loc})
			continue
		}
		seen[k] = l.loc
	}
	return errs
}
