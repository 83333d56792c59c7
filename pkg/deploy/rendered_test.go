package deploy

import (
	"errors"
	"strings"
	"testing"

	"github.com/shipsafe/shipsafe/pkg/release"
)

func TestCheckRendered(t *testing.T) {
	t.Parallel()
	deployed := []*release.Revision{{Number: 1, Status: release.StatusDeployed}}
	pendingInstall := []*release.Revision{{Number: 1, Status: release.StatusPending}}
	tests := []struct {
		name     string
		rendered *RenderedFor
		revs     []*release.Revision
		want     string // "" = no error
	}{
		{"not a chart", nil, deployed, ""},
		{"first install", &RenderedFor{Revision: 1}, nil, ""},
		{"upgrade as rendered", &RenderedFor{Revision: 2, Upgrade: true}, deployed, ""},
		{"another deploy installed it meanwhile", &RenderedFor{Revision: 1}, deployed,
			"rendered as revision 1 (install), but the release is now at revision 2 (upgrade)"},
		{"rendered while another install was pending, which then succeeded",
			&RenderedFor{Revision: 2}, deployed, "revision 2 (install), but the release is now at revision 2 (upgrade)"},
		{"another upgrade meanwhile", &RenderedFor{Revision: 2, Upgrade: true},
			append(deployed, &release.Revision{Number: 2, Status: release.StatusDeployed}), "now at revision 3 (upgrade)"},
		{"a pending install still pending", &RenderedFor{Revision: 2}, pendingInstall, ""},
	}
	for _, tt := range tests {
		err := checkRendered(tt.rendered, tt.revs, release.NextNumber(tt.revs))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrStaleRender) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want ErrStaleRender mentioning %q", tt.name, err, tt.want)
		}
	}
}
