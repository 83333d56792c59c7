// Package graceful runs Go network servers so that a Kubernetes rolling update drops no
// request: it fails readiness on SIGTERM, keeps serving while the endpoints converge,
// moves kept-alive clients away, shuts every server down at once within a deadline, runs
// cleanup hooks within theirs, and fits the whole sequence inside the pod's
// terminationGracePeriodSeconds. It uses the standard library only.
//
// # Phases
//
// A Service moves through four phases, observable with Service.Phase, Service.Reached
// and Options.OnPhase:
//
//   - serving: readiness runs its Checks (cached, with timeouts); liveness answers 200.
//   - draining: from the first SIGTERM or SIGINT (or the end of Run's context). Readiness
//     answers 503 at once, liveness stays 200, and the servers keep serving for
//     Options.DrainDelay so that kube-proxy, ingress controllers and load balancers stop
//     routing new connections here. Every response carries "Connection: close" so that
//     kept-alive clients, which conntrack pins to this pod, reconnect elsewhere.
//     SetKeepAlivesEnabled(false) is never used: it closes idle connections under clients
//     about to reuse them.
//   - stopping: Shutdown of every server at once within Options.ShutdownTimeout. Idle
//     kept-alive connections are closed cleanly, active ones after their response, and
//     whatever is left at the deadline is cut off. Hijacked connections (websockets) get
//     Options.HijackTimeout and are closed after it. Then the Options.Hooks run, in order,
//     within Options.HookTimeout.
//   - stopped: servers wrapped by Last (the probe and metrics server) have stopped and Run
//     returns.
//
// A second signal calls Options.Exit(1) (os.Exit by default) at once.
//
// # Servers
//
// HTTP adapts an *http.Server; GRPC adapts anything shaped like *grpc.Server; any other
// type with Serve() error and Shutdown(ctx) error is a Server as it is.
//
// # Budget
//
// Options.Budget is DrainDelay + max(ShutdownTimeout, HijackTimeout) + HookTimeout. The
// pod needs terminationGracePeriodSeconds >= preStop sleep + budget; CheckGrace compares
// them at start (the grace period reaches the app through GracePeriodEnv), and the pod
// template's BudgetAnnotation lets `shipsafe lint` check the manifest. See README.md for
// the Kubernetes settings this package pairs with.
package graceful
