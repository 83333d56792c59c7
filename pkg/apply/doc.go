// Package apply changes objects in the cluster: server-side apply (and its dry-run) with
// the field manager "shipsafe", in dependency order with bounded parallelism, plus
// deletion and a metadata listing of what already exists. Every error names the object,
// the reason and what to do.
package apply
