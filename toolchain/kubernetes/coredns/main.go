// A slim CoreDNS for the single-node cluster: the kubernetes plugin answers cluster.local from the API server.
// Nothing is forwarded: the host's resolver is not on 127.0.0.1, and the host talks to nothing else. Only the
// plugins named here are compiled in (CoreDNS's own build takes every plugin of plugin.cfg, cloud back ends
// included).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order plugins see a query in, as in CoreDNS's plugin.cfg.
var directives = []string{"bind", "errors", "health", "ready", "cache", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
