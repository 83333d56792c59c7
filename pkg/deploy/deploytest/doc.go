// Package deploytest provides hand-written fakes of the seams of deploy.Config (Cluster,
// Tracker, Locker and Lock, and a Store wrapper that fails on demand) and New, which wires
// them with an in-memory store into a deploy.Config. Each fake has ...Func fields: when
// one is set it replaces the fake's behaviour for that call, so a test can fail, block or
// observe exactly one step. Without them the fakes behave like a healthy cluster: applied
// objects exist, deleted ones are gone, everything becomes ready at once, and the lock is
// always free. The fakes are safe for concurrent use.
package deploytest
