// Command xpuhal-k8s-testenv starts an embedded etcd and a real kube-apiserver on
// loopback, with certificates generated for this run, and writes a kubeconfig for an
// admin identity (group system:masters, authorized by RBAC). It is the adapter's
// integration-test cluster, in the manner of controller-runtime's envtest: an API
// server and its store, no controllers, no kubelets.
//
// Usage: xpuhal-k8s-testenv --dir DIR
// Prints "READY <kubeconfig path>" on stdout once /readyz answers; runs until SIGTERM
// or SIGINT, or until stdin closes (so a test runner that dies takes it down too).
// Started again on the same DIR it is the same cluster restarted: etcd keeps its
// data, and the certificates and ports are reused, so clients holding the old
// kubeconfig reconnect (as to a restarted control plane). With --compact-history
// etcd's history is compacted to its current revision before the apiserver starts,
// as its periodic compaction would have done: any watch resuming from an older
// resourceVersion then gets 410 Gone, whether the watch cache or etcd serves it.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"

	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
)

func main() {
	dir := flag.String("dir", "", "state directory (certificates, etcd data, kubeconfig)")
	watchStdin := flag.Bool("exit-on-stdin-close", true, "exit when stdin reaches EOF")
	compact := flag.Bool("compact-history", false, "compact etcd to its current revision before starting the apiserver")
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("--dir is required"))
	}
	if err := run(*dir, *watchStdin, *compact); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "xpuhal-k8s-testenv:", err)
	os.Exit(1)
}

func run(dir string, watchStdin, compact bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pki, err := loadOrWritePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}

	ports, err := loadOrPickPorts(filepath.Join(dir, "ports"), 3)
	if err != nil {
		return err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	apiPort := ports[2]

	etcd, err := startEtcd(filepath.Join(dir, "etcd"), etcdClient, etcdPeer)
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	defer etcd.Close()
	if compact {
		rev := etcd.Server.KV().Rev()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := etcd.Server.Compact(ctx, &etcdserverpb.CompactionRequest{Revision: rev, Physical: true})
		cancel()
		if err != nil {
			return fmt.Errorf("compacting etcd to revision %d: %w", rev, err)
		}
		fmt.Fprintf(os.Stderr, "xpuhal-k8s-testenv: etcd history compacted to revision %d\n", rev)
	}

	cmd := app.NewAPIServerCommand()
	cmd.SetArgs([]string{
		"--etcd-servers=" + etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--client-ca-file=" + pki.caCert,
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=RBAC",
		// Dual-stack service ranges, so Services can carry IPv4 and IPv6 ClusterIPs.
		"--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112",
		"--service-node-port-range=30000-32767",
		// No controller-manager runs: nothing would create each namespace's default
		// ServiceAccount, so the admission plugin that requires it is off.
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		// The "kubernetes" Service would point at our loopback address, which Endpoints refuse.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--v=0",
	})
	apiErr := make(chan error, 1)
	go func() { apiErr <- cmd.Execute() }()

	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := waitReady(server, pki, apiErr); err != nil {
		return err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, server, pki); err != nil {
		return err
	}
	fmt.Printf("READY %s\n", kubeconfig)

	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			// The apiserver installed the SIGTERM handler; send ourselves one so it
			// shuts down the way it does for any other stop.
			p, _ := os.FindProcess(os.Getpid())
			_ = p.Signal(os.Interrupt)
		}()
	}
	return <-apiErr
}

func startEtcd(dataDir, clientURL, peerURL string) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = dataDir
	cfg.Name = "xpuhal-testenv"
	cu, _ := url.Parse(clientURL)
	pu, _ := url.Parse(peerURL)
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + peerURL
	cfg.LogLevel = "error"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("etcd not ready after 60s")
	}
}

func waitReady(server string, pki *pkiFiles, apiErr <-chan error) error {
	client, err := adminClient(pki)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-apiErr:
			return fmt.Errorf("kube-apiserver exited before ready: %v", err)
		default:
		}
		resp, err := client.Get(server + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after 120s")
}

func adminClient(pki *pkiFiles) (*http.Client, error) {
	pair, err := tls.LoadX509KeyPair(pki.adminCert, pki.adminKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(pki.caCert)
	if err != nil {
		return nil, err
	}
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}},
	}, nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// loadOrPickPorts reuses the ports a previous run on this directory recorded, else
// picks free ones and records them.
func loadOrPickPorts(path string, n int) ([]int, error) {
	if data, err := os.ReadFile(path); err == nil {
		var ports []int
		for _, f := range strings.Fields(string(data)) {
			p, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			ports = append(ports, p)
		}
		if len(ports) == n {
			return ports, nil
		}
	}
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprint(ports)
	return ports, os.WriteFile(path, []byte(strings.Trim(text, "[]")+"\n"), 0o600)
}

type pkiFiles struct {
	caCert, servingCert, servingKey, adminCert, adminKey, saKey string
}

// loadOrWritePKI keeps the certificates of a previous run on this directory.
func loadOrWritePKI(dir string) (*pkiFiles, error) {
	f := pkiPaths(dir)
	for _, p := range []string{f.caCert, f.servingCert, f.servingKey, f.adminCert, f.adminKey, f.saKey} {
		if _, err := os.Stat(p); err != nil {
			return writePKI(dir)
		}
	}
	return f, nil
}

func pkiPaths(dir string) *pkiFiles {
	return &pkiFiles{
		caCert:      filepath.Join(dir, "ca.crt"),
		servingCert: filepath.Join(dir, "apiserver.crt"),
		servingKey:  filepath.Join(dir, "apiserver.key"),
		adminCert:   filepath.Join(dir, "admin.crt"),
		adminKey:    filepath.Join(dir, "admin.key"),
		saKey:       filepath.Join(dir, "sa.key"),
	}
}

// writePKI makes a CA, a serving certificate for 127.0.0.1/localhost, an admin client
// certificate in group system:masters, and the service-account signing key.
func writePKI(dir string) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "xpuhal-testenv-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	f := pkiPaths(dir)
	if err := writePEM(f.caCert, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	issue := func(serial int64, subject pkix.Name, usage x509.ExtKeyUsage, ips []net.IP, dns []string, certPath, keyPath string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      subject,
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(7 * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
			DNSNames:     dns,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(keyPath, "EC PRIVATE KEY", keyDER)
	}
	if err := issue(2, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.96.0.1")},
		[]string{"localhost", "kubernetes", "kubernetes.default.svc"}, f.servingCert, f.servingKey); err != nil {
		return nil, err
	}
	if err := issue(3, pkix.Name{CommonName: "xpuhal-admin", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil, f.adminCert, f.adminKey); err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := writePEM(f.saKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)); err != nil {
		return nil, err
	}
	return f, nil
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

func writeKubeconfig(path, server string, pki *pkiFiles) error {
	b64 := func(p string) (string, error) {
		data, err := os.ReadFile(p)
		return base64.StdEncoding.EncodeToString(data), err
	}
	ca, err := b64(pki.caCert)
	if err != nil {
		return err
	}
	cert, err := b64(pki.adminCert)
	if err != nil {
		return err
	}
	key, err := b64(pki.adminKey)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: testenv
  context:
    cluster: testenv
    user: admin
current-context: testenv
`, server, ca, cert, key)
	return os.WriteFile(path, []byte(text), 0o600)
}
