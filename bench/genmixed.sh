#!/usr/bin/env bash
# genmixed.sh DIR SUFFIX: writes into DIR/mixed a Helm chart of 200 mixed objects, which
# both tools deploy (shipsafe with --chart): 40 Deployments (0 replicas: the benchmark
# measures the tools, not pod start-up), 40 Services, 50 ConfigMaps, 40 Secrets, and a
# CustomResourceDefinition (in crds/, as charts ship them) with 29 custom resources.
# .Values.version changes every object; .Values.first, when set, changes ConfigMap 0
# only. SUFFIX makes the CRD's group unique to the run (CRDs are cluster-scoped).
set -euo pipefail
dir=$1/mixed suffix=$2
group="bench$suffix.shipsafe.test"
mkdir -p "$dir/templates" "$dir/crds"
printf 'apiVersion: v2\nname: mixed\nversion: 0.1.0\n' >"$dir/Chart.yaml"
printf 'version: "1"\nfirst: ""\n' >"$dir/values.yaml"
cat >"$dir/crds/widgets.yaml" <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.$group
spec:
  group: $group
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string}
              version: {type: string}
YAML
cat >"$dir/templates/objects.yaml" <<YAML
{{- range \$i := until 40 }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ \$i }}
  annotations: {bench/version: {{ \$.Values.version | quote }}}
spec:
  replicas: 0
  selector: {matchLabels: {app: app-{{ \$i }}}}
  template:
    metadata: {labels: {app: app-{{ \$i }}}}
    spec:
      containers:
      - name: app
        image: local.test/naive:bench
        imagePullPolicy: Never
        env: [{name: VERSION, value: {{ \$.Values.version | quote }}}]
---
apiVersion: v1
kind: Service
metadata:
  name: app-{{ \$i }}
  annotations: {bench/version: {{ \$.Values.version | quote }}}
spec:
  selector: {app: app-{{ \$i }}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Secret
metadata: {name: secret-{{ \$i }}}
stringData: {version: {{ \$.Values.version | quote }}, token: "token-{{ \$i }}"}
---
{{- end }}
{{- range \$i := until 50 }}
apiVersion: v1
kind: ConfigMap
metadata: {name: config-{{ \$i }}}
data:
  version: {{ if and (eq \$i 0) \$.Values.first }}{{ \$.Values.first | quote }}{{ else }}{{ \$.Values.version | quote }}{{ end }}
---
{{- end }}
{{- range \$i := until 29 }}
apiVersion: $group/v1
kind: Widget
metadata: {name: widget-{{ \$i }}}
spec: {size: "{{ \$i }}", version: {{ \$.Values.version | quote }}}
---
{{- end }}
YAML
