{{/*
The chart is the kustomize tree deploy/ read at render time (files/ links to it): every object of
every file a component's kustomization.yaml lists, its configMapGenerator ConfigMaps, the patches it
applies, and the values substituted. Objects are parsed and printed again, so comments are dropped.
*/}}

{{/* The Phalanx image: image.repository:image.tag, the chart's appVersion by default. */}}
{{- define "phalanx.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end }}

{{/* Fails the render when a value is outside the choices this chart implements. */}}
{{- define "phalanx.checkValues" -}}
{{- if not (has .Values.webhook.certificateMode (list "self-signed" "cert-manager")) }}
{{- fail (printf "webhook.certificateMode: %q must be self-signed or cert-manager" .Values.webhook.certificateMode) }}
{{- end }}
{{- if not (has .Values.extenderTLS.mode (list "secrets" "cert-manager")) }}
{{- fail (printf "extenderTLS.mode: %q must be secrets or cert-manager" .Values.extenderTLS.mode) }}
{{- end }}
{{- if or (not (kindIs "float64" .Values.replicas)) (lt (.Values.replicas | int) 1) (gt (.Values.replicas | int) 10) }}
{{- fail (printf "replicas: %v must be a whole number from 1 to 10" .Values.replicas) }}
{{- end }}
{{- if or (not (kindIs "float64" .Values.scheduler.replicas)) (lt (.Values.scheduler.replicas | int) 1) (gt (.Values.scheduler.replicas | int) 10) }}
{{- fail (printf "scheduler.replicas: %v must be a whole number from 1 to 10" .Values.scheduler.replicas) }}
{{- end }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString .Values.schedulerName)) }}
{{- fail (printf "schedulerName: %q must be a DNS label" .Values.schedulerName) }}
{{- end }}
{{- end }}

{{/*
The objects of one YAML file under files/: (dict "root" $ "path" <file>) → a YAML list of objects.
*/}}
{{- define "phalanx.objectsIn" -}}
{{- $objects := list }}
{{- $text := .root.Files.Get .path }}
{{- if not $text }}{{ fail (printf "deploy/helm/phalanx/%s: missing (files/ links to deploy/)" .path) }}{{ end }}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" $text -1 }}
{{- $obj := fromYaml $doc }}
{{- if hasKey $obj "Error" }}{{ fail (printf "%s: %s" $.path $obj.Error) }}{{ end }}
{{- if $obj.kind }}{{ $objects = append $objects $obj }}{{ end }}
{{- end }}
{{- toYaml $objects }}
{{- end }}

{{/*
phalanx/config.yaml with the values applied: (dict "root" $ "text" <file content>) → YAML text.
Unchanged (comments and all) when the values ask for nothing different.
*/}}
{{- define "phalanx.config" -}}
{{- $config := fromYaml .text }}
{{- $certManager := eq .root.Values.webhook.certificateMode "cert-manager" }}
{{- if and (eq $config.schedulerName .root.Values.schedulerName) (not $certManager) }}
{{- .text }}
{{- else }}
{{- $_ := set $config "schedulerName" .root.Values.schedulerName }}
{{- if $certManager }}
{{- $webhook := $config.webhook }}
{{- $_ := unset $webhook "configurationName" }}
{{- $_ := unset $webhook "selfSignedHosts" }}
{{- $_ := set $webhook "tls" (dict "certFile" "/var/run/phalanx/webhook-tls/tls.crt" "keyFile" "/var/run/phalanx/webhook-tls/tls.key") }}
{{- end }}
{{- toYaml $config }}
{{- end }}
{{- end }}

{{/* The scheduler's KubeSchedulerConfiguration with the profile named schedulerName. */}}
{{- define "phalanx.schedulerConfig" -}}
{{- $config := fromYaml .text }}
{{- $profile := index $config.profiles 0 }}
{{- if eq $profile.schedulerName .root.Values.schedulerName }}
{{- .text }}
{{- else }}
{{- $_ := set $profile "schedulerName" .root.Values.schedulerName }}
{{- toYaml $config }}
{{- end }}
{{- end }}

{{/* A generated file's content, by generator name (the others are kept as they are). */}}
{{- define "phalanx.generatedData" -}}
{{- if eq .name "phalanx-config" }}
{{- include "phalanx.config" . }}
{{- else if eq .name "phalanx-scheduler-config" }}
{{- include "phalanx.schedulerConfig" . }}
{{- else }}
{{- .text }}
{{- end }}
{{- end }}

{{/*
Applies the values and the components' patches to one object in place:
(dict "root" $ "obj" <object> "checksums" <dict of ConfigMap name → checksum>). Prints "drop" for an
object the values leave out.
*/}}
{{- define "phalanx.adapt" -}}
{{- $v := .root.Values }}
{{- $obj := .obj }}
{{- $name := $obj.metadata.name }}
{{- $webhookCertManager := eq $v.webhook.certificateMode "cert-manager" }}
{{- if eq $obj.kind "Deployment" }}
  {{- $pod := $obj.spec.template }}
  {{- $annotations := default (dict) $pod.metadata.annotations }}
  {{- range $volume := $pod.spec.volumes }}
    {{- if and $volume.configMap (hasKey $.checksums $volume.configMap.name) }}
      {{- $_ := set $annotations (printf "checksum/%s" $volume.configMap.name) (get $.checksums $volume.configMap.name) }}
    {{- end }}
  {{- end }}
  {{- $_ := set $pod.metadata "annotations" $annotations }}
  {{- if eq $name "phalanx" }}
    {{- $_ := set $obj.spec "replicas" $v.replicas }}
    {{- range $c := $pod.spec.containers }}
      {{- if eq $c.name "phalanx" }}
        {{- $_ := set $c "image" (include "phalanx.image" $.root) }}
        {{- $_ := set $c "imagePullPolicy" $v.image.pullPolicy }}
        {{- if $v.resources }}{{ $_ := set $c "resources" $v.resources }}{{ end }}
        {{- if $webhookCertManager }}
          {{- $_ := set $c "volumeMounts" (prepend $c.volumeMounts (dict "name" "webhook-tls" "mountPath" "/var/run/phalanx/webhook-tls" "readOnly" true)) }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- if $webhookCertManager }}
      {{- $_ := set $pod.spec "volumes" (prepend $pod.spec.volumes (dict "name" "webhook-tls" "secret" (dict "secretName" "phalanx-webhook-tls"))) }}
    {{- end }}
  {{- else if eq $name "phalanx-scheduler" }}
    {{- $_ := set $obj.spec "replicas" $v.scheduler.replicas }}
    {{- range $c := $pod.spec.containers }}
      {{- if $v.scheduler.image }}{{ $_ := set $c "image" $v.scheduler.image }}{{ end }}
      {{- if $v.scheduler.resources }}{{ $_ := set $c "resources" $v.scheduler.resources }}{{ end }}
    {{- end }}
  {{- end }}
{{- else if eq $obj.kind "MutatingWebhookConfiguration" }}
  {{- /* deploy/webhook/kustomization.yaml removes the caBundle placeholder: Phalanx or cert-manager fills it. */}}
  {{- range $w := $obj.webhooks }}{{ $_ := unset $w.clientConfig "caBundle" }}{{ end }}
  {{- if $webhookCertManager }}
    {{- $annotations := default (dict) $obj.metadata.annotations }}
    {{- $_ := set $annotations "cert-manager.io/inject-ca-from" "phalanx-system/phalanx-webhook" }}
    {{- $_ := set $obj.metadata "annotations" $annotations }}
  {{- end }}
{{- else if and $webhookCertManager (eq $obj.kind "ClusterRole") (eq $name "phalanx") }}
  {{- /* cert-manager's injector writes the caBundle: no right to patch the webhook configuration. */}}
  {{- $rules := list }}
  {{- range $rule := $obj.rules }}
    {{- if not (has "mutatingwebhookconfigurations" $rule.resources) }}{{ $rules = append $rules $rule }}{{ end }}
  {{- end }}
  {{- $_ := set $obj "rules" $rules }}
{{- else if and $webhookCertManager (has $obj.kind (list "Role" "RoleBinding")) (eq $name "phalanx-webhook-certificate") -}}
drop
{{- end }}
{{- end }}
