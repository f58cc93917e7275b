// Command randprog prints 32 bytes from crypto/rand in hex. Run under Wine,
// it shows that the Go runtime found bcryptprimitives.dll!ProcessPrng (Go >=
// 1.22 takes all its randomness there and dies at start-up without it).
package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
)

func main() {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		fmt.Fprintln(os.Stderr, "randprog:", err)
		os.Exit(1)
	}
	fmt.Printf("goos: %s/%s\n", runtime.GOOS, runtime.GOARCH)
	fmt.Printf("rand: %s\n", hex.EncodeToString(b))
}
