// Command oci-registry serves go-containerregistry's in-memory OCI registry (pkg/registry, the
// one its own tests use) over plain HTTP on a loopback port, so that the chart tests can
// `helm push` the packaged chart and `helm install` it from oci:// as from a real registry.
// It prints the port it listens on as its first line of stdout, and stops on SIGINT or SIGTERM,
// or when its standard input closes (the test that started it went away), whichever comes first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	host := flag.String("host", "127.0.0.1", "loopback address to listen on (plain HTTP: loopback only)")
	port := flag.Int("port", 0, "port to listen on; 0 picks a free one")
	quiet := flag.Bool("quiet", false, "do not log each request to stderr")
	watchStdin := flag.Bool("exit-on-stdin-close", false, "stop when standard input reaches its end")
	flag.Parse()
	if err := run(*host, *port, *quiet, *watchStdin); err != nil {
		fmt.Fprintf(os.Stderr, "oci-registry: %v\n", err)
		os.Exit(1)
	}
}

func run(host string, port int, quiet, watchStdin bool) error {
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--host %q is not a loopback address: this registry has no TLS and no authentication", host)
	}
	if port < 0 || port > 65535 {
		return fmt.Errorf("--port %d is out of range", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "oci-registry ", log.LstdFlags)
	if quiet {
		logger = log.New(io.Discard, "", 0)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(logger)), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
