// verify-chain: verifies a serving certificate against a CA bundle the way Go clients (and so the
// Kubernetes API server calling a webhook) do. Used by test/certs/bundle.test.ts.
//
// Usage: go run verify-chain.go BUNDLE.pem CERT.pem DNSNAME
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: verify-chain BUNDLE.pem CERT.pem DNSNAME")
		os.Exit(2)
	}
	bundle, err := os.ReadFile(os.Args[1])
	check(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		fail("no certificate in %s", os.Args[1])
	}
	data, err := os.ReadFile(os.Args[2])
	check(err)
	block, _ := pem.Decode(data)
	if block == nil {
		fail("no PEM block in %s", os.Args[2])
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	check(err)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: os.Args[3]}); err != nil {
		fail("%v", err)
	}
	fmt.Println("ok")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
