// Package kubernetes renders the kustomize base and overlays as `kubectl kustomize` does (with
// kustomize's own library) and validates the output: every built-in kind is decoded strictly into
// the Kubernetes API types (an unknown or misspelt field fails), the CloudNativePG resources are
// checked field by field, and Livslang's rules are enforced: probes, resources, non-root, labels
// and selectors that match, references to Secrets and ConfigMaps that exist, replicas per overlay.
package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var services = map[string]int32{"registration": 8081, "funding": 8082, "notification": 8083, "portal": 8080}

// rendered is one kustomization's output, by kind and name.
type rendered struct {
	docs        map[string]map[string][]byte // kind → name → YAML
	deployments map[string]appsv1.Deployment
}

func render(t *testing.T, dir string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	r := rendered{docs: map[string]map[string][]byte{}, deployments: map[string]appsv1.Deployment{}}
	for _, res := range rm.Resources() {
		raw, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kind, name := res.GetKind(), res.GetName()
		if r.docs[kind] == nil {
			r.docs[kind] = map[string][]byte{}
		}
		r.docs[kind][name] = raw
	}
	return r
}

// strict decodes raw into v, failing on unknown fields.
func strict(t *testing.T, what string, raw []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(raw, v); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func (r rendered) names(kind string) []string {
	var out []string
	for n := range r.docs[kind] {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// validate checks everything every rendering must satisfy and returns the decoded Deployments.
func validate(t *testing.T, r rendered, namespace string) {
	t.Helper()
	known := map[string]bool{"Deployment": true, "Service": true, "PodDisruptionBudget": true, "HorizontalPodAutoscaler": true,
		"NetworkPolicy": true, "Secret": true, "ConfigMap": true, "Ingress": true, "Namespace": true, "Cluster": true, "ScheduledBackup": true}
	for kind, byName := range r.docs {
		if !known[kind] {
			t.Errorf("unexpected kind %s", kind)
		}
		for name, raw := range byName {
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Metadata   struct {
					Name, Namespace string
					Labels          map[string]string
				}
			}
			_ = yaml.Unmarshal(raw, &meta)
			if meta.APIVersion == "" || meta.Metadata.Name == "" {
				t.Errorf("%s %s: apiVersion and metadata.name are required", kind, name)
			}
			if namespace != "" && kind != "Namespace" && meta.Metadata.Namespace != namespace {
				t.Errorf("%s %s is in namespace %q, want %q", kind, name, meta.Metadata.Namespace, namespace)
			}
			if meta.Metadata.Labels["app.kubernetes.io/part-of"] != "livslang" {
				t.Errorf("%s %s lacks the label app.kubernetes.io/part-of=livslang", kind, name)
			}
		}
	}
	secrets, configMaps := map[string]corev1.Secret{}, map[string]corev1.ConfigMap{}
	for name, raw := range r.docs["Secret"] {
		var s corev1.Secret
		strict(t, "Secret "+name, raw, &s)
		secrets[name] = s
	}
	for name, raw := range r.docs["ConfigMap"] {
		var c corev1.ConfigMap
		strict(t, "ConfigMap "+name, raw, &c)
		configMaps[name] = c
	}
	// Secrets the CloudNativePG operator creates for the cluster.
	secrets["livslang-db-ca"] = corev1.Secret{StringData: map[string]string{"ca.crt": ""}}

	if got := r.names("Deployment"); fmt.Sprint(got) != "[funding notification portal registration]" {
		t.Fatalf("Deployments %v", got)
	}
	podLabels := map[string]labels.Set{}
	for name, raw := range r.docs["Deployment"] {
		var d appsv1.Deployment
		strict(t, "Deployment "+name, raw, &d)
		r.deployments[name] = d
		checkDeployment(t, d, secrets, configMaps)
		podLabels[name] = d.Spec.Template.Labels
	}
	for name, raw := range r.docs["Service"] {
		var s corev1.Service
		strict(t, "Service "+name, raw, &s)
		d, ok := r.deployments[name]
		if !ok || !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels[name]) {
			t.Errorf("Service %s selects no Deployment's pods", name)
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.Port != services[name] || !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports,
				func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.String() }) {
				t.Errorf("Service %s port %d → %s does not match the container", name, p.Port, p.TargetPort.String())
			}
		}
	}
	for name, raw := range r.docs["PodDisruptionBudget"] {
		var p policyv1.PodDisruptionBudget
		strict(t, "PodDisruptionBudget "+name, raw, &p)
		sel := labels.SelectorFromSet(p.Spec.Selector.MatchLabels)
		if _, ok := r.deployments[name]; !ok || !sel.Matches(podLabels[name]) {
			t.Errorf("PodDisruptionBudget %s selects no Deployment", name)
		}
		if p.Spec.MaxUnavailable == nil && p.Spec.MinAvailable == nil {
			t.Errorf("PodDisruptionBudget %s sets neither maxUnavailable nor minAvailable", name)
		}
	}
	for name, raw := range r.docs["HorizontalPodAutoscaler"] {
		var h autoscalingv2.HorizontalPodAutoscaler
		strict(t, "HorizontalPodAutoscaler "+name, raw, &h)
		d, ok := r.deployments[h.Spec.ScaleTargetRef.Name]
		if !ok || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HorizontalPodAutoscaler %s scales %v", name, h.Spec.ScaleTargetRef)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < *d.Spec.Replicas || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: min %v max %d with %d replicas", name, h.Spec.MinReplicas, h.Spec.MaxReplicas, *d.Spec.Replicas)
		}
	}
	for name, raw := range r.docs["Ingress"] {
		var in networkingv1.Ingress
		strict(t, "Ingress "+name, raw, &in)
		backends := map[string]bool{}
		for _, rule := range in.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				backends[p.Backend.Service.Name] = true
				if _, ok := r.docs["Service"][p.Backend.Service.Name]; !ok {
					t.Errorf("Ingress %s routes %s to a missing Service %s", name, rule.Host, p.Backend.Service.Name)
				}
			}
		}
		if len(backends) != len(services) {
			t.Errorf("Ingress %s reaches %v, want the portal and the three APIs", name, backends)
		}
	}
	checkNetworkPolicies(t, r, podLabels)
	checkPostgres(t, r)
	for name, raw := range r.docs["Namespace"] {
		var ns corev1.Namespace
		strict(t, "Namespace "+name, raw, &ns)
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("Namespace %s does not enforce the restricted pod security standard", name)
		}
	}
}

func checkDeployment(t *testing.T, d appsv1.Deployment, secrets map[string]corev1.Secret, configMaps map[string]corev1.ConfigMap) {
	t.Helper()
	name := d.Name
	if d.Spec.Replicas == nil || d.Spec.Selector == nil ||
		!labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("Deployment %s: replicas and a selector matching its pod template are required", name)
		return
	}
	if d.Spec.Template.Labels["app.kubernetes.io/name"] != name || d.Spec.Template.Labels["app.kubernetes.io/part-of"] != "livslang" {
		t.Errorf("Deployment %s: pod labels %v", name, d.Spec.Template.Labels)
	}
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0 {
		t.Errorf("Deployment %s: the pod must run as a non-root user", name)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("Deployment %s mounts a service account token it does not use", name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers", name, len(pod.Containers))
	}
	c := pod.Containers[0]
	if !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("Deployment %s: image %q has no fixed tag", name, c.Image)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != services[name] || c.Ports[0].Name != "http" {
		t.Errorf("Deployment %s: ports %v, want http on %d", name, c.Ports, services[name])
	}
	probe := func(what string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("Deployment %s: %s probe must GET %s on port http", name, what, path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("startup", c.StartupProbe, "/healthz")
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("Deployment %s: no %s request", name, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("Deployment %s: no %s limit", name, res)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil ||
		!*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("Deployment %s: the container must drop all capabilities, not escalate and have a read-only root", name)
	}
	env := map[string]bool{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			cm, ok := configMaps[from.ConfigMapRef.Name]
			if !ok {
				t.Errorf("Deployment %s: envFrom names a missing ConfigMap %s", name, from.ConfigMapRef.Name)
			}
			for k := range cm.Data {
				env[k] = true
			}
		}
	}
	for _, e := range c.Env {
		env[e.Name] = true
		if e.ValueFrom == nil {
			continue
		}
		if ref := e.ValueFrom.SecretKeyRef; ref != nil {
			s, ok := secrets[ref.Name]
			_, inData := s.Data[ref.Key]
			_, inString := s.StringData[ref.Key]
			if !ok || !(inData || inString) {
				t.Errorf("Deployment %s: %s needs key %s of Secret %s, which the output lacks", name, e.Name, ref.Key, ref.Name)
			}
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			if _, ok := configMaps[ref.Name].Data[ref.Key]; !ok {
				t.Errorf("Deployment %s: %s needs key %s of ConfigMap %s, which the output lacks", name, e.Name, ref.Key, ref.Name)
			}
		}
	}
	up := strings.ToUpper(name)
	required := []string{"LIVSLANG_" + up + "_ADDR", "LIVSLANG_ISSUER_URL"}
	if name != "portal" {
		required = append(required, "LIVSLANG_"+up+"_DATABASE_URL", "LIVSLANG_NATS_URL", "LIVSLANG_NATS_REPLICAS")
	}
	for _, v := range required {
		if !env[v] {
			t.Errorf("Deployment %s does not set %s", name, v)
		}
	}
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			if _, ok := secrets[v.Secret.SecretName]; !ok {
				t.Errorf("Deployment %s mounts a missing Secret %s", name, v.Secret.SecretName)
			}
		}
	}
}

// checkNetworkPolicies: Livslang's pods are denied by default and every pod has a policy that lets
// its own traffic through; the portal may reach the APIs, the APIs PostgreSQL and NATS.
func checkNetworkPolicies(t *testing.T, r rendered, podLabels map[string]labels.Set) {
	t.Helper()
	policies := map[string]networkingv1.NetworkPolicy{}
	for name, raw := range r.docs["NetworkPolicy"] {
		var p networkingv1.NetworkPolicy
		strict(t, "NetworkPolicy "+name, raw, &p)
		policies[name] = p
	}
	deny, ok := policies["livslang-default-deny"]
	if !ok || len(deny.Spec.Ingress) != 0 || len(deny.Spec.Egress) != 0 || len(deny.Spec.PolicyTypes) != 2 {
		t.Fatalf("no default-deny policy for ingress and egress")
	}
	selects := func(p networkingv1.NetworkPolicy, pod labels.Set) bool {
		return labels.SelectorFromSet(p.Spec.PodSelector.MatchLabels).Matches(pod)
	}
	allows := func(from, to labels.Set, port int32) bool {
		egress, ingress := false, false
		for _, p := range policies {
			if selects(p, from) {
				for _, rule := range p.Spec.Egress {
					if peerPort(rule.To, rule.Ports, to, port) {
						egress = true
					}
				}
			}
			if to != nil && selects(p, to) {
				for _, rule := range p.Spec.Ingress {
					if peerPort(rule.From, rule.Ports, from, port) {
						ingress = true
					}
				}
			}
		}
		return egress && (ingress || !slices.ContainsFunc(mapsValues(policies), func(p networkingv1.NetworkPolicy) bool {
			return selects(p, to) && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}))
	}
	db := labels.Set{"cnpg.io/cluster": "livslang-db"}
	nats := labels.Set{"app.kubernetes.io/name": "nats"}
	for _, api := range []string{"registration", "funding", "notification"} {
		if !allows(podLabels["portal"], podLabels[api], services[api]) {
			t.Errorf("the portal may not reach %s", api)
		}
		if !allows(podLabels[api], db, 5432) || !allows(podLabels[api], nats, 4222) {
			t.Errorf("%s may not reach PostgreSQL and NATS", api)
		}
		if allows(podLabels[api], podLabels["portal"], 8080) {
			t.Errorf("%s may reach the portal", api)
		}
	}
	if allows(podLabels["portal"], db, 5432) || allows(podLabels["portal"], nats, 4222) {
		t.Error("the portal may reach PostgreSQL or NATS")
	}
}

func mapsValues[K comparable, V any](m map[K]V) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// peerPort reports whether a rule's peers (pod selectors in this namespace) and ports admit pod on port.
func peerPort(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, pod labels.Set, port int32) bool {
	portOK := len(ports) == 0
	for _, p := range ports {
		portOK = portOK || (p.Port != nil && p.Port.IntVal == port)
	}
	if !portOK {
		return false
	}
	for _, peer := range peers {
		if peer.PodSelector != nil && peer.NamespaceSelector == nil && peer.IPBlock == nil &&
			labels.SelectorFromSet(peer.PodSelector.MatchLabels).Matches(pod) {
			return true
		}
	}
	return false
}

// checkPostgres checks the CloudNativePG Cluster and its backup schedule (no Go types for them:
// the fields the deployment relies on, by hand).
func checkPostgres(t *testing.T, r rendered) {
	t.Helper()
	var c struct {
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Instances int    `json:"instances"`
			ImageName string `json:"imageName"`
			Storage   struct {
				Size string `json:"size"`
			} `json:"storage"`
			Bootstrap struct {
				InitDB struct {
					Database, Owner        string
					PostInitApplicationSQL []string `json:"postInitApplicationSQL"`
				} `json:"initdb"`
			} `json:"bootstrap"`
			Managed struct {
				Roles []struct {
					Name, Ensure   string
					Login          bool
					PasswordSecret struct{ Name string } `json:"passwordSecret"`
				} `json:"roles"`
			} `json:"managed"`
			Backup struct {
				RetentionPolicy   string `json:"retentionPolicy"`
				BarmanObjectStore struct {
					DestinationPath string `json:"destinationPath"`
					S3Credentials   map[string]struct{ Name, Key string }
				} `json:"barmanObjectStore"`
			} `json:"backup"`
		} `json:"spec"`
	}
	raw, ok := r.docs["Cluster"]["livslang-db"]
	if !ok {
		t.Fatal("no CloudNativePG Cluster livslang-db")
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.APIVersion != "postgresql.cnpg.io/v1" || c.Spec.Instances < 1 || !strings.Contains(c.Spec.ImageName, ":") || c.Spec.Storage.Size == "" {
		t.Errorf("Cluster: apiVersion %s, %d instances, image %q, storage %q", c.APIVersion, c.Spec.Instances, c.Spec.ImageName, c.Spec.Storage.Size)
	}
	sql := strings.Join(c.Spec.Bootstrap.InitDB.PostInitApplicationSQL, "\n")
	if c.Spec.Bootstrap.InitDB.Database != "livslang" || !strings.Contains(sql, "REVOKE ALL ON SCHEMA public FROM PUBLIC") {
		t.Errorf("Cluster bootstrap: database %q, SQL:\n%s", c.Spec.Bootstrap.InitDB.Database, sql)
	}
	// The audit guard, word for word as make run and the tests install it.
	guard, err := os.ReadFile("../../pkg/pgcluster/auditguard.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Spec.Bootstrap.InitDB.PostInitApplicationSQL, string(guard)) {
		t.Error("the Cluster's postInitApplicationSQL does not hold pkg/pgcluster/auditguard.sql as it is")
	}
	roles := map[string]string{}
	for _, role := range c.Spec.Managed.Roles {
		if role.Login && role.Ensure == "present" {
			roles[role.Name] = role.PasswordSecret.Name
		}
	}
	for _, svc := range []string{"registration", "funding", "notification"} {
		role := "livslang_" + svc
		if !strings.Contains(sql, "CREATE SCHEMA "+svc+" AUTHORIZATION "+role) || !strings.Contains(sql, "CREATE ROLE "+role) {
			t.Errorf("Cluster bootstrap makes no role and schema for %s", svc)
		}
		secret, ok := roles[role]
		if _, exists := r.docs["Secret"][secret]; !ok || !exists {
			t.Errorf("role %s gets no login password from an existing Secret (%q)", role, secret)
		}
	}
	b := c.Spec.Backup
	if b.RetentionPolicy == "" || !strings.HasPrefix(b.BarmanObjectStore.DestinationPath, "s3://") || len(b.BarmanObjectStore.S3Credentials) != 2 {
		t.Errorf("Cluster backup: %+v", b)
	}
	for _, cred := range b.BarmanObjectStore.S3Credentials {
		if _, ok := r.docs["Secret"][cred.Name]; !ok {
			t.Errorf("backup credentials name a missing Secret %s", cred.Name)
		}
	}
	var sb struct {
		Spec struct {
			Schedule string
			Cluster  struct{ Name string }
		}
	}
	if err := yaml.Unmarshal(r.docs["ScheduledBackup"]["livslang-db-nightly"], &sb); err != nil || sb.Spec.Cluster.Name != "livslang-db" ||
		len(strings.Fields(sb.Spec.Schedule)) != 6 {
		t.Errorf("ScheduledBackup: %+v %v (the schedule has six fields, seconds first)", sb, err)
	}
}

func TestBase(t *testing.T) {
	r := render(t, "base")
	validate(t, r, "")
}

func TestDevOverlay(t *testing.T) {
	r := render(t, "overlays/dev")
	validate(t, r, "livslang-dev")
	for name, d := range r.deployments {
		if *d.Spec.Replicas != 1 || !strings.HasSuffix(d.Spec.Template.Spec.Containers[0].Image, ":dev") {
			t.Errorf("dev %s: %d replicas of %s", name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
		}
	}
	if !bytes.Contains(r.docs["ConfigMap"]["livslang-env"], []byte(`LIVSLANG_NATS_REPLICAS: "1"`)) {
		t.Error("dev does not keep one stream replica")
	}
}

func TestProductionOverlay(t *testing.T) {
	r := render(t, "overlays/production")
	validate(t, r, "livslang")
	for name, d := range r.deployments {
		if *d.Spec.Replicas != 2 {
			t.Errorf("production %s runs %d replicas, want 2", name, *d.Spec.Replicas)
		}
		if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "registry.example.dk/livslang/"+name+":1.") {
			t.Errorf("production %s runs %s", name, img)
		}
	}
	for name, raw := range r.docs["HorizontalPodAutoscaler"] {
		var h autoscalingv2.HorizontalPodAutoscaler
		strict(t, name, raw, &h)
		if *h.Spec.MinReplicas != 2 {
			t.Errorf("production HPA %s scales down to %d", name, *h.Spec.MinReplicas)
		}
	}
	for _, want := range []string{`LIVSLANG_NATS_REPLICAS: "3"`, "OTEL_EXPORTER_OTLP_ENDPOINT: http://"} {
		if !bytes.Contains(r.docs["ConfigMap"]["livslang-env"], []byte(want)) {
			t.Errorf("production livslang-env lacks %s", want)
		}
	}
	if !bytes.Contains(r.docs["Cluster"]["livslang-db"], []byte("instances: 3")) {
		t.Error("production PostgreSQL does not run three instances")
	}
	if bytes.Contains(r.docs["Ingress"]["livslang"], []byte("example.dk")) {
		t.Error("production ingress still names example.dk")
	}
}

// The NATS Helm values make a three-node JetStream cluster with file storage.
func TestNATSValues(t *testing.T) {
	raw, err := os.ReadFile("nats/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool
				Replicas int
			}
			JetStream struct {
				Enabled   bool
				FileStore struct {
					Enabled bool
					PVC     struct {
						Enabled bool
						Size    string
					} `json:"pvc"`
				} `json:"fileStore"`
			} `json:"jetstream"`
			Merge struct {
				JetStream map[string]string `json:"jetstream"`
			}
		}
		Container struct {
			Image struct{ Tag string }
			Env   map[string]struct {
				ValueFrom struct {
					SecretKeyRef struct{ Name, Key string } `json:"secretKeyRef"`
				} `json:"valueFrom"`
			}
		}
	}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if !v.Config.Cluster.Enabled || v.Config.Cluster.Replicas != 3 || !v.Config.JetStream.Enabled ||
		!v.Config.JetStream.FileStore.Enabled || !v.Config.JetStream.FileStore.PVC.Enabled || v.Config.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("NATS values: %+v", v.Config)
	}
	if strings.Count(v.Container.Image.Tag, ".") < 2 {
		t.Errorf("NATS image tag %q is not an exact release", v.Container.Image.Tag)
	}
	// The store is encrypted at rest with the key from a Secret, never written into the values.
	js := v.Config.Merge.JetStream
	if js["cipher"] != "aes" || js["key"] != "<< $NATS_STORE_KEY >>" {
		t.Errorf("JetStream store not encrypted with $NATS_STORE_KEY: %v", js)
	}
	if ref := v.Container.Env["NATS_STORE_KEY"].ValueFrom.SecretKeyRef; ref.Name != "nats-store-key" || ref.Key != "key" {
		t.Errorf("NATS_STORE_KEY does not come from the Secret nats-store-key: %+v", ref)
	}
}
