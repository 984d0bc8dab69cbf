// Command kstatus prints what sigs.k8s.io/cli-utils' kstatus (the library Flux's health checks,
// Helm 4's --wait and kpt judge resources with) computes for objects read from stdin: one JSON
// or YAML object, a v1 List, or a YAML stream. One line of JSON per object, in order:
// {"name":…, "status":"InProgress|Current|Failed|Terminating|NotFound|Unknown", "message":…}.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(in), 4096)
	enc := json.NewEncoder(out)
	n := 0
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("reading object %d: %w", n+1, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		list, err := items(raw)
		if err != nil {
			return fmt.Errorf("object %d: %w", n+1, err)
		}
		for _, item := range list {
			n++
			v, err := judge(item)
			if err != nil {
				return fmt.Errorf("object %d: %w", n, err)
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
	}
	if n == 0 {
		return errors.New("no object on stdin")
	}
	return nil
}

// items decodes an object as the API machinery does (integers stay int64), unpacking a List
// (what `kubectl get -o json` prints for several objects).
func items(raw []byte) ([]*unstructured.Unstructured, error) {
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
	if err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case *unstructured.Unstructured:
		return []*unstructured.Unstructured{o}, nil
	case *unstructured.UnstructuredList:
		out := make([]*unstructured.Unstructured, 0, len(o.Items))
		for i := range o.Items {
			out = append(out, &o.Items[i])
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
}

func judge(u *unstructured.Unstructured) (verdict, error) {
	res, err := status.Compute(u)
	if err != nil {
		return verdict{}, err
	}
	return verdict{Name: u.GetName(), Status: res.Status.String(), Message: res.Message}, nil
}
