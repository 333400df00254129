// Package configimport reads real systems' configuration files into a
// strategy's parameters, so users compare the settings they already run
// instead of retyping them: Envoy Clusters and RouteConfigurations
// (go-control-plane's types, checked with the protos' own validation
// rules), Istio DestinationRules and VirtualServices (istio.io/api),
// Kubernetes Deployments and HorizontalPodAutoscalers (k8s.io/api), Flagger
// Canaries and Argo Rollouts (their documented schemas).
//
//	b, err := configimport.ImportFile("envoy-cluster.yaml")
//	fmt.Print(b.YAML("prod"))   // the equivalent strategy block
//	for _, w := range b.Warnings { fmt.Println(w) }
//
// Every field tangle does not model gets a positioned Warning naming it;
// a value the real system rejects is an Error with the real system's
// message. A scenario uses it with from: on a strategy.
package configimport
