package awsiot

import "testing"

func TestURIEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{" ", "%20"},
		{"a/b", "a%2Fb"},
		{"+=&?#%", "%2B%3D%26%3F%23%25"},
		{"é", "%C3%A9"},
		{"\x00\xff", "%00%FF"},
	}
	for _, tt := range tests {
		if got := uriEncode(tt.in); got != tt.want {
			t.Errorf("uriEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
