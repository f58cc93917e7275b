package main

import (
	"fmt"
	"strings"
)

// summarizeAPDUs joins descriptions, folding repeats: "GET DATA 5FC105, GET RESPONSE x4".
func summarizeAPDUs(entries []string) string {
	var parts []string
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j] == entries[i] {
			j++
		}
		if n := j - i; n > 1 {
			parts = append(parts, fmt.Sprintf("%s x%d", entries[i], n))
		} else {
			parts = append(parts, entries[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}
