package checks

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	mrand "math/rand/v2"
)

// checkRand reads crypto/rand twice and checks the bytes look random: not
// all zero, not repeated, with many distinct values.
func checkRand(*Env) (string, error) {
	a, b := make([]byte, 64), make([]byte, 64)
	if _, err := rand.Read(a); err != nil {
		return "", fmt.Errorf("crypto/rand.Read: %v", err)
	}
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("crypto/rand.Read: %v", err)
	}
	if bytes.Equal(a, make([]byte, 64)) || bytes.Equal(b, make([]byte, 64)) {
		return "", errors.New("crypto/rand returned all zero bytes")
	}
	if bytes.Equal(a, b) {
		return "", errors.New("crypto/rand returned the same 64 bytes twice")
	}
	seen := map[byte]bool{}
	for _, c := range append(a, b...) {
		seen[c] = true
	}
	// 128 random bytes hold about 100 distinct values; 40 is far below.
	if len(seen) < 40 {
		return "", fmt.Errorf("128 random bytes hold only %d distinct values", len(seen))
	}
	// math/rand/v2's global source is seeded from the runtime's entropy.
	if mrand.Uint64() == mrand.Uint64() {
		return "", errors.New("math/rand/v2 returned the same value twice")
	}
	sum := sha256.Sum256(a)
	return fmt.Sprintf("distinct=%d sha256=%x", len(seen), sum[:4]), nil
}
