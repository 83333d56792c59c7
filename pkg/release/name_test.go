package release

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		wantErr string // "" for valid
	}{
		{"web", ""},
		{"a", ""},
		{"web-2", ""},
		{"0web", ""},
		{"my--app", ""},
		{strings.Repeat("a", 53), ""},
		{"", "empty"},
		{strings.Repeat("a", 54), "54 characters"},
		{"Web", `character 'W' at position 1`},
		{"-web", `character '-' at position 1`},
		{"web-", `character '-' at position 4`},
		{"we_b", `character '_' at position 3`},
		{"web.v1", `character '.' at position 4`},
		{"wéb", `character 'é' at position 2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName(tc.name)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tc.name, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "at most 53 characters") {
				t.Fatalf("ValidateName(%q) = %v, want an error saying %q and the rule", tc.name, err, tc.wantErr)
			}
		})
	}
}
