// Package deploy runs shipsafe's release actions: Deploy (validate, lock, record, apply,
// track, prune, and on any failure or signal roll back to the last deployed revision),
// Rollback, Uninstall, Import, and the read actions Status and History. What a deploy
// will do (normalized objects, ownership, what it prunes) is decided by package plan,
// which diff shares.
//
// A Deploy may carry Hooks (Helm's, from a chart): pre-install or pre-upgrade hooks are
// created and tracked until ready, one at a time by weight, after the pending record is
// written and before the objects are applied; post- hooks after the objects are ready. A
// failing hook fails the revision like any other failure. See release.Hook.
//
// Each action is built from a Config and run with a context and its options, in the style
// of Helm's actions. The library never prints: progress comes out as Events through the
// OnEvent of the action's options (failures that do not change the outcome, such as a
// lock that could not be released, as Warning events), and the outcome as a Result or a
// typed error (InputError, FailedError, or a *release.HeldError for a locked release)
// that the CLI maps to exit codes.
package deploy
