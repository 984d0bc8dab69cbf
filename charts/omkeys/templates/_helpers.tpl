{{- define "omkeys.fullname" -}}
{{ .Values.fullnameOverride | default "omkeys" }}
{{- end -}}

{{- define "omkeys.labels" -}}
app.kubernetes.io/name: omkeys
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "omkeys.selectorLabels" -}}
app.kubernetes.io/name: omkeys
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}


{{- /* What the ServiceMonitor selects the metrics Service by: stable across upgrades. */ -}}
{{- define "omkeys.metricsLabels" -}}
app.kubernetes.io/name: omkeys
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: metrics
{{- end -}}

{{- /*
  Where cluster connections' Secrets live, as a JSON list: the release namespace, the created
  connection's credentials and CA namespaces, and connectionSecretNamespaces; each once.
*/ -}}
{{- define "omkeys.connectionSecretNamespaces" -}}
{{- $c := .Values.connection -}}
{{- $list := list .Release.Namespace -}}
{{- if $c.create -}}
{{- $list = append $list ($c.credentialsSecret.namespace | default .Release.Namespace) -}}
{{- if $c.caSecret.name -}}
{{- $list = append $list ($c.caSecret.namespace | default .Release.Namespace) -}}
{{- end -}}
{{- end -}}
{{- concat $list .Values.connectionSecretNamespaces | uniq | toJson -}}
{{- end -}}
