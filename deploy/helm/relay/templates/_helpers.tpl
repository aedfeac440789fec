{{/*
Named templates. Each takes the chart's context: inside this chart ".", from an application's chart
that has this chart as a dependency ".Subcharts.relay" (see README.md, "Sidecar").
*/}}

{{- define "relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "relay.labels" -}}
helm.sh/chart: {{ include "relay.chart" . }}
{{ include "relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: outbox-relay
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ConfigMap holding the configuration file, and the Secret made from .Values.secrets. */}}
{{- define "relay.configMapName" -}}
{{- printf "%s-config" (include "relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relay.secretName" -}}
{{- printf "%s-env" (include "relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relay.configDir" -}}/etc/relay{{- end }}
{{- define "relay.configFile" -}}relay.json{{- end }}

{{/*
A value from .Values.config by path, with keys matched case-insensitively as .NET configuration
does. Renders the value as a string, or nothing when the key is absent.
Call: include "relay.configValue" (dict "map" .Values.config "path" (list "Relay" "Http" "Port"))
*/}}
{{- define "relay.configValue" -}}
{{- $m := .map }}
{{- if not .path }}
{{- if not (kindIs "map" $m) }}{{ $m }}{{ end }}
{{- else if kindIs "map" $m }}
{{- $key := lower (first .path) }}
{{- $rest := rest .path }}
{{- $found := list }}
{{- range $k, $v := $m }}
{{- if eq (lower $k) $key }}{{ $found = append $found $k }}{{ end }}
{{- end }}
{{- if gt (len $found) 1 }}
{{- fail (printf "config has %s: configuration keys are case-insensitive, so they set one key. Keep one." (join " and " $found)) }}
{{- end }}
{{- range $found }}{{ include "relay.configValue" (dict "map" (get $m .) "path" $rest) }}{{ end }}
{{- end }}
{{- end }}

{{/* Relay:Http:Port, default 8080: the port of /healthz, /readyz and /metrics. */}}
{{- define "relay.httpPort" -}}
{{- $port := include "relay.configValue" (dict "map" .Values.config "path" (list "Relay" "Http" "Port")) }}
{{- if eq $port "" }}8080
{{- else if not (regexMatch "^[0-9]+$" $port) }}
{{- fail (printf "config.Relay.Http.Port is '%s'. Set it to a port number (default 8080)." $port) }}
{{- else if or (lt (atoi $port) 1) (gt (atoi $port) 65535) }}
{{- fail (printf "config.Relay.Http.Port is %s. Set it between 1 and 65535 (default 8080)." $port) }}
{{- else }}{{ atoi $port }}
{{- end }}
{{- end }}

{{/* Fails when Relay:Http:Enabled is false: the probes and the metrics Service need the endpoint. */}}
{{- define "relay.assertHttpEnabled" -}}
{{- $enabled := include "relay.configValue" (dict "map" .Values.config "path" (list "Relay" "Http" "Enabled")) }}
{{- if eq (lower $enabled) "false" }}
{{- fail "config.Relay.Http.Enabled is false, but the chart's liveness, readiness and startup probes and its metrics Service use Relay's HTTP endpoint (/healthz, /readyz, /metrics). Remove the key." }}
{{- end }}
{{- end }}

{{/*
Relay:ShutdownTimeout (a .NET TimeSpan, [d.]hh:mm[:ss[.fff]], default 00:00:30) in whole seconds,
rounded up.
*/}}
{{- define "relay.shutdownSeconds" -}}
{{- $t := include "relay.configValue" (dict "map" .Values.config "path" (list "Relay" "ShutdownTimeout")) | default "00:00:30" }}
{{- if not (regexMatch "^([0-9]+\\.)?[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]{1,7})?)?$" $t) }}
{{- fail (printf "config.Relay.ShutdownTimeout is '%s'. Set it as hh:mm:ss, e.g. 00:00:30 (the default)." $t) }}
{{- end }}
{{- $parts := splitList ":" $t }}
{{- $days := 0 }}
{{- $hours := index $parts 0 }}
{{- if contains "." $hours }}
{{- $days = atoi (index (splitList "." $hours) 0) }}
{{- $hours = index (splitList "." $hours) 1 }}
{{- end }}
{{- $seconds := 0 }}
{{- if gt (len $parts) 2 }}
{{- $s := splitList "." (index $parts 2) }}
{{- $seconds = atoi (index $s 0) }}
{{- if and (gt (len $s) 1) (gt (atoi (index $s 1)) 0) }}{{ $seconds = add1 $seconds }}{{ end }}
{{- end }}
{{- add (mul $days 86400) (mul (atoi $hours) 3600) (mul (atoi (index $parts 1)) 60) $seconds }}
{{- end }}

{{/* terminationGracePeriodSeconds: the value given, which must exceed Relay:ShutdownTimeout, or that timeout + 15 s. */}}
{{- define "relay.terminationGracePeriodSeconds" -}}
{{- $shutdown := include "relay.shutdownSeconds" . | atoi }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $shutdown 15 }}
{{- else }}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- if le $grace $shutdown }}
{{- fail (printf "terminationGracePeriodSeconds is %d, but Relay:ShutdownTimeout is %d s: Kubernetes would kill Relay before it finishes stopping. Set it above %d, or leave it out for %d." $grace $shutdown $shutdown (add $shutdown 15)) }}
{{- end }}
{{- $grace }}
{{- end }}
{{- end }}

{{/*
Checks .Values.config before it is written to the ConfigMap, and names the key in each message:
- no password: a key named like a password or secret, a connection string with Password=/Pwd=, a URL
  with user:password@ (the value is never repeated);
- no key twice in two spellings (.NET configuration keys are case-insensitive, and Relay refuses a
  JSON file that has both).
Call: include "relay.assertConfig" (dict "value" .Values.config "path" "config")
*/}}
{{- define "relay.assertConfig" -}}
{{- $path := .path }}
{{- if kindIs "map" .value }}
{{- $seen := dict }}
{{- range $k, $v := .value }}
{{- $p := printf "%s.%s" $path $k }}
{{- if hasKey $seen (lower $k) }}
{{- fail (printf "%s.%s and %s both set one key: configuration keys are case-insensitive. Keep one." $path (get $seen (lower $k)) $k) }}
{{- end }}
{{- $_ := set $seen (lower $k) $k }}
{{- if and (regexMatch "(?i)(password|passwd|secret|key\\.pem$)" $k) (not (kindIs "map" $v)) (ne (toString $v) "") }}
{{- fail (printf "%s holds a secret, and config is written to a ConfigMap. Remove it and give it as an environment variable from a Secret (existingSecret, secretEnv or secrets), e.g. %s." $p (include "relay.envName" $p)) }}
{{- end }}
{{- include "relay.assertConfig" (dict "value" $v "path" $p) }}
{{- end }}
{{- else if kindIs "slice" .value }}
{{- range $i, $v := .value }}
{{- include "relay.assertConfig" (dict "value" $v "path" (printf "%s[%d]" $path $i)) }}
{{- end }}
{{- else if kindIs "string" .value }}
{{- if or (regexMatch "(?i)(^|[;,])\\s*(password|pwd)\\s*=\\s*[^;,\\s]" .value) (regexMatch "://[^/@:\\s]+:[^/@\\s]+@" .value) }}
{{- fail (printf "%s contains a password, and config is written to a ConfigMap. Keep the password out of it: give the whole value from a Secret as %s (existingSecret, secretEnv or secrets), or for PostgreSQL set PGPASSWORD from a Secret." $path (include "relay.envName" $path)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* config.Relay.Sources.orders.ConnectionString → Relay__Sources__orders__ConnectionString */}}
{{- define "relay.envName" -}}
{{- trimPrefix "config." . | replace "." "__" }}
{{- end }}

{{/* Pod annotations that roll the pods when the configuration or the chart's Secret changes. */}}
{{- define "relay.checksumAnnotations" -}}
checksum/config: {{ .Values.config | toJson | sha256sum }}
{{- if .Values.secrets }}
checksum/secrets: {{ .Values.secrets | toJson | sha256sum }}
{{- end }}
{{- end }}

{{- define "relay.prometheusAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ include "relay.httpPort" . | quote }}
prometheus.io/path: /metrics
{{- end }}

{{- define "relay.probe" -}}
httpGet:
  path: {{ .path }}
  port: http
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/*
The Relay container, alone: what the Deployment runs, and what an application's chart adds to its
own pod in sidecar mode (with the volumes of "relay.volumes"):

  containers:
    - name: app
      ...
    - {{- include "relay.container" .Subcharts.relay | nindent 6 }}
*/}}
{{- define "relay.container" -}}
{{- include "relay.assertHttpEnabled" . -}}
{{- include "relay.assertConfig" (dict "value" .Values.config "path" "config") -}}
name: relay
image: {{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- with .Values.args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and (eq .Values.mode "sidecar") .Values.sidecar.native }}
restartPolicy: Always
{{- end }}
ports:
  - name: http
    containerPort: {{ include "relay.httpPort" . }}
    protocol: TCP
env:
  - name: RELAY_CONFIG_FILE
    value: {{ printf "%s/%s" (include "relay.configDir" .) (include "relay.configFile" .) }}
  {{- range $name, $ref := .Values.secretEnv }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef:
        name: {{ $ref.secretName }}
        key: {{ $ref.key }}
        {{- if $ref.optional }}
        optional: true
        {{- end }}
  {{- end }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- if or .Values.existingSecret .Values.secrets .Values.extraEnvFrom }}
envFrom:
  {{- with .Values.existingSecret }}
  - secretRef:
      name: {{ . }}
  {{- end }}
  {{- if .Values.secrets }}
  - secretRef:
      name: {{ include "relay.secretName" . }}
  {{- end }}
  {{- with .Values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- if .Values.probes.startup.enabled }}
startupProbe:
  {{- include "relay.probe" (dict "path" "/healthz" "probe" .Values.probes.startup) | nindent 2 }}
{{- end }}
{{- if .Values.probes.liveness.enabled }}
livenessProbe:
  {{- include "relay.probe" (dict "path" "/healthz" "probe" .Values.probes.liveness) | nindent 2 }}
{{- end }}
{{- if .Values.probes.readiness.enabled }}
readinessProbe:
  {{- include "relay.probe" (dict "path" "/readyz" "probe" .Values.probes.readiness) | nindent 2 }}
{{- end }}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: relay-config
    mountPath: {{ include "relay.configDir" . }}
    readOnly: true
  - name: relay-tmp
    mountPath: /tmp
  {{- with .Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
The pod volumes the container mounts: the configuration file (read-only) and /tmp. A list of volume
items, to place under the pod's "volumes:".
*/}}
{{- define "relay.volumes" -}}
- name: relay-config
  configMap:
    name: {{ include "relay.configMapName" . }}
    items:
      - key: {{ include "relay.configFile" . }}
        path: {{ include "relay.configFile" . }}
- name: relay-tmp
  {{- if .Values.tmpSizeLimit }}
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
