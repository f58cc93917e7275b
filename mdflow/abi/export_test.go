package abi

// CardDataFieldNames returns the names of the CARD_DATA table, in order.
func CardDataFieldNames() []string {
	var n []string
	for _, f := range cardData {
		n = append(n, f.name)
	}
	return n
}

// CardDataOffsets returns the x64 and x86 offsets of the CARD_DATA table.
func CardDataOffsets() [][2]int {
	var o [][2]int
	for _, f := range cardData {
		o = append(o, [2]int{f.off.x64, f.off.x86})
	}
	return o
}

// CardDataOffset returns the offsets of one field.
func CardDataOffset(name string) (int, int) {
	for _, f := range cardData {
		if f.name == name {
			return f.off.x64, f.off.x86
		}
	}
	return -1, -1
}
