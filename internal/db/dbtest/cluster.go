package dbtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own, for fault tests that stop and restart it
// (the shared test server must never be restarted under the other packages).
type Cluster struct {
	t     testing.TB
	bin   string
	data  string
	port  int
	owner []string // runuser prefix when the tests run as root: initdb and postgres refuse root
}

// StartCluster initialises and starts a throwaway cluster from the installed PostgreSQL
// binaries, stopped and removed when the test ends. Without binaries the test is skipped, or
// fails when required is set (CI installs them).
func StartCluster(t testing.TB, required bool) *Cluster {
	t.Helper()
	bin := postgresBinaries()
	if bin == "" {
		if required {
			t.Fatal("dbtest: no PostgreSQL binaries (initdb, pg_ctl) found for a private cluster")
		}
		t.Skip("dbtest: no PostgreSQL binaries (initdb, pg_ctl) for a private cluster")
	}
	// Not t.TempDir: its parents are private to root, and the cluster may run as another user.
	dir, err := os.MkdirTemp("", "patuh-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, bin: bin, data: filepath.Join(dir, "data"), port: freePort(t)}
	if os.Geteuid() == 0 {
		owner := "postgres"
		u, err := user.Lookup(owner)
		if err != nil {
			owner = "nobody"
			u, err = user.Lookup(owner)
			if err != nil {
				t.Fatal("dbtest: running as root and neither postgres nor nobody exists")
			}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// initdb refuses to run as root: the cluster belongs to an unprivileged user.
		if err := errors.Join(os.Chmod(dir, 0o755), os.Chown(dir, uid, gid)); err != nil {
			t.Fatal("dbtest:", err)
		}
		c.owner = []string{"runuser", "-u", owner, "--"}
	}
	t.Cleanup(func() {
		if out, err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "stop"); err != nil {
			t.Logf("dbtest: stop (it may have been stopped by the test): %v\n%s", err, out)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Error("dbtest:", err)
		}
	})
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("dbtest: initdb: %v\n%s", err, out)
	}
	c.Start()
	return c
}

// URL is the connection string of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, filepath.Dir(c.data))
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.data, "server.log"), "-w", "-o", opts, "start"); err != nil {
		c.t.Fatalf("dbtest: pg_ctl start: %v\n%s", err, out)
	}
}

// Stop stops the server the way an operator's restart does: sessions are terminated.
func (c *Cluster) Stop() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop"); err != nil {
		c.t.Fatalf("dbtest: pg_ctl stop: %v\n%s", err, out)
	}
}

func (c *Cluster) run(program string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.owner...), filepath.Join(c.bin, program)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	return cmd.CombinedOutput()
}

// postgresBinaries finds the directory holding initdb and pg_ctl: on PATH, else the newest
// Debian-style /usr/lib/postgresql/N/bin.
func postgresBinaries() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
