// decode.go - reads mapwatch JSON lines on stdin and decodes each into a Go struct that carries
// Tracee's field names, types and json tags (trace.Event), as a Tracee consumer would; exits 1
// with the first line that does not decode. Prints "decoded N events".
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

type File struct {
	Path string `json:"path"`
}

type ContextFlags struct {
	ContainerStarted bool `json:"containerStarted"`
	IsCompat         bool `json:"isCompat"`
}

// Argument: name, type and a value whose JSON number must fit the named type.
type Argument struct {
	Name  string      `json:"name"`
	Type  string      `json:"type"`
	Value interface{} `json:"value"`
}

func (a *Argument) UnmarshalJSON(b []byte) error {
	type plain Argument
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode((*plain)(a)); err != nil {
		return err
	}
	n, isNum := a.Value.(json.Number)
	if !isNum {
		return nil
	}
	var err error
	switch a.Type {
	case "int":
		_, err = strconv.ParseInt(n.String(), 10, 32)
	case "long":
		_, err = strconv.ParseInt(n.String(), 10, 64)
	case "unsigned int", "u32":
		_, err = strconv.ParseUint(n.String(), 10, 32)
	case "unsigned long", "u64", "size_t", "off_t":
		_, err = strconv.ParseUint(n.String(), 10, 64)
	default:
		err = fmt.Errorf("numeric value of unrecognized argument type %q", a.Type)
	}
	if err != nil {
		return fmt.Errorf("argument %s (%s): %v", a.Name, a.Type, err)
	}
	return nil
}

type Container struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	ImageName   string `json:"image,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
}

type Kubernetes struct {
	PodName      string `json:"podName,omitempty"`
	PodNamespace string `json:"podNamespace,omitempty"`
	PodUID       string `json:"podUID,omitempty"`
	PodSandbox   bool   `json:"podSandbox,omitempty"`
}

type Event struct {
	Timestamp           int          `json:"timestamp"`
	ThreadStartTime     int          `json:"threadStartTime"`
	ProcessorID         int          `json:"processorId"`
	ProcessID           int          `json:"processId"`
	CgroupID            uint         `json:"cgroupId"`
	ThreadID            int          `json:"threadId"`
	ParentProcessID     int          `json:"parentProcessId"`
	HostProcessID       int          `json:"hostProcessId"`
	HostThreadID        int          `json:"hostThreadId"`
	HostParentProcessID int          `json:"hostParentProcessId"`
	UserID              int          `json:"userId"`
	MountNS             int          `json:"mountNamespace"`
	PIDNS               int          `json:"pidNamespace"`
	ProcessName         string       `json:"processName"`
	Executable          File         `json:"executable"`
	HostName            string       `json:"hostName"`
	ContainerID         string       `json:"containerId"`
	Container           Container    `json:"container,omitempty"`
	Kubernetes          Kubernetes   `json:"kubernetes,omitempty"`
	EventID             int          `json:"eventId,string"`
	EventName           string       `json:"eventName"`
	MatchedPolicies     []string     `json:"matchedPolicies,omitempty"`
	ArgsNum             int          `json:"argsNum"`
	ReturnValue         int          `json:"returnValue"`
	Syscall             string       `json:"syscall"`
	StackAddresses      []uint64     `json:"stackAddresses"`
	ContextFlags        ContextFlags `json:"contextFlags"`
	ThreadEntityId      uint32       `json:"threadEntityId"`
	ProcessEntityId     uint32       `json:"processEntityId"`
	ParentEntityId      uint32       `json:"parentEntityId"`
	Args                []Argument   `json:"args"`
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n, line := 0, 0
	for sc.Scan() {
		line++
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Printf("line %d does not decode: %v: %s\n", line, err, sc.Text())
			os.Exit(1)
		}
		if e.EventName == "" || e.Timestamp == 0 {
			fmt.Printf("line %d: no eventName/timestamp: %s\n", line, sc.Text())
			os.Exit(1)
		}
		if e.EventName != "lost" && len(e.Args) != e.ArgsNum {
			fmt.Printf("line %d: argsNum %d but %d args\n", line, e.ArgsNum, len(e.Args))
			os.Exit(1)
		}
		n++
	}
	fmt.Printf("decoded %d events\n", n)
}
