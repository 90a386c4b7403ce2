package httpd

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandlers(t *testing.T) {
	srv := httptest.NewServer(Handler(time.Now(), func() []string { return []string{"n0 tx=1", "n1 tx=2"} }))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/"); code != 200 || !strings.HasPrefix(body, "Aero httpd: up ") {
		t.Errorf("GET /: %d %q", code, body)
	}
	if code, body := get("/stats"); code != 200 || body != "n0 tx=1\nn1 tx=2\n" {
		t.Errorf("GET /stats: %d %q", code, body)
	}
	if code, _ := get("/nothing"); code != 404 {
		t.Errorf("GET /nothing: %d", code)
	}
	body := strings.Repeat("aero", 100000)
	resp, err := http.Post(srv.URL+"/upload", "application/octet-stream", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256([]byte(body))
	if want := fmt.Sprintf("%s %d\n", hex.EncodeToString(sum[:]), len(body)); string(got) != want {
		t.Errorf("upload: %q, want %q", got, want)
	}
	code, dl := get("/download?n=200000")
	if code != 200 || len(dl) != 200000 {
		t.Fatalf("download: %d, %d bytes", code, len(dl))
	}
	for i := range len(dl) {
		if dl[i] != Pattern(int64(i)) {
			t.Fatalf("download byte %d is %#x, want %#x", i, dl[i], Pattern(int64(i)))
		}
	}
	for _, bad := range []string{"", "-1", "x", fmt.Sprint(MaxDownload + 1)} {
		if code, _ := get("/download?n=" + bad); code != 400 {
			t.Errorf("download n=%q: %d, want 400", bad, code)
		}
	}
}
