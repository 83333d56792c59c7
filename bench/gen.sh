#!/usr/bin/env bash
# gen.sh DIR N: writes the benchmark inputs for N ConfigMaps into DIR:
#   v1.yaml, v2.yaml   plain manifests (v2 changes every object's data)
#   v3.yaml            v2 with one object changed (cm-0000's version is 3)
#   chart/             a Helm chart rendering the same N ConfigMaps from .Values.version
#   crash.yaml         a Deployment whose image crashes at start
#   crashchart/        the same Deployment as a chart
set -euo pipefail
dir=$1 n=$2
mkdir -p "$dir/chart/templates" "$dir/crashchart/templates"
for v in 1 2; do
	for ((i = 0; i < n; i++)); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\ndata:\n  version: "%s"\n  payload: "%s"\n---\n' "$i" "$v" "value-$i-of-$n"
	done >"$dir/v$v.yaml"
done
sed '0,/version: "2"/s//version: "3"/' "$dir/v2.yaml" >"$dir/v3.yaml"
cat >"$dir/chart/Chart.yaml" <<YAML
apiVersion: v2
name: configmaps
version: 0.1.0
YAML
printf 'version: "1"\nfirst: ""\n' >"$dir/chart/values.yaml"
cat >"$dir/chart/templates/configmaps.yaml" <<YAML
{{- range \$i := until $n }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ printf "%04d" \$i }}
data:
  version: {{ if and (eq \$i 0) \$.Values.first }}{{ \$.Values.first | quote }}{{ else }}{{ \$.Values.version | quote }}{{ end }}
  payload: "value-{{ \$i }}-of-$n"
---
{{- end }}
YAML
crash='apiVersion: apps/v1
kind: Deployment
metadata: {name: crasher}
spec:
  replicas: 1
  selector: {matchLabels: {app: crasher}}
  template:
    metadata: {labels: {app: crasher}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: local.test/crash:bench
        imagePullPolicy: Never
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}'
echo "$crash" >"$dir/crash.yaml"
printf 'apiVersion: v2\nname: crasher\nversion: 0.1.0\n' >"$dir/crashchart/Chart.yaml"
echo "$crash" >"$dir/crashchart/templates/deployment.yaml"
