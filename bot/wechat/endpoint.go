package wechat

import (
	"fmt"
	"net/http"
	"net/url"
)

// redirect sends every request to one base URL, keeping its path and
// query and carrying the host it was meant for in the Host header. It
// serves Options.Endpoint, for tests of the whole program against a fake
// WeChat server.
type redirect struct {
	target *url.URL
	base   http.RoundTripper
}

func newRedirect(endpoint string) (*redirect, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wechat endpoint %q: want a base URL such as http://127.0.0.1:8081", endpoint)
	}
	return &redirect{target: u, base: http.DefaultTransport}, nil
}

// RoundTrip implements http.RoundTripper.
func (r *redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	out.Host = req.URL.Host
	return r.base.RoundTrip(out)
}
