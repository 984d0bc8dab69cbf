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
