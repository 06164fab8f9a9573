#!/usr/bin/env bats
# podctl explain, as kubectl explain is typed: generated from the
# validator's schema, the same one docs/FIELDS.md is made from.

load helpers

@test "explain pod.spec.containers: kubectl's layout, fields sorted with their types" {
        run -0 podctl explain pod.spec.containers
        [ "${lines[0]}" = "KIND:       Pod" ]
        [ "${lines[1]}" = "VERSION:    v1" ]
        [ "${lines[2]}" = "FIELD: containers <[]Container>" ]
        [ "${lines[3]}" = "DESCRIPTION:" ]
        [ "${lines[4]}" = "    podctl: applied" ]
        [ "${lines[5]}" = "FIELDS:" ]
        [ "${lines[6]}" = "  args	<[]string>" ]
        [[ $output == *"  image	<string>
    podctl: applied
"* ]]
        [[ $output == *"  env	<[]EnvVar>"* ]]
        [[ $output == *"  livenessProbe	<Probe>"* ]]
        # sorted by name, as kubectl lists them
        names=$(printf '%s\n' "$output" | sed -n 's/^  \([A-Za-z]*\)\(	.*\)\{0,1\}$/\1/p')
        [ "$names" = "$(printf '%s\n' "$names" | LC_ALL=C sort)" ]
}

@test "explain: every field of a container has docs/FIELDS.md's disposition and reason" {
        run -0 podctl explain pod.spec.containers
        out=$output
        n=0
        while IFS='|' read -r _ field disp note _; do
                field=$(echo "$field" | tr -d ' `')
                disp=$(echo "$disp" | tr -d ' ')
                note=$(echo "$note" | sed 's/^ *//; s/ *$//')
                name=${field#spec.containers[].}
                case $name in *.* | *'['*) continue ;; esac
                case $disp in
                applied) want="podctl: applied${note:+: $note}" ;;
                refused) want="podctl: refused: $note" ;;
                warned) want="podctl: warned and ignored: $note" ;;
                esac
                block=$(printf '%s\n' "$out" | grep -A1 -E "^  $name(	|\$)")
                [ "$(printf '%s\n' "$block" | sed -n 2p)" = "    $want" ] || {
                        echo "$name: want '$want', got: $block"
                        return 1
                }
                n=$((n + 1))
        done < <(grep -F '| `spec.containers[].' "$REPO/docs/FIELDS.md")
        [ "$n" -gt 20 ]
}

@test "explain a leaf field, a refused one and a warned one" {
        run -0 podctl explain pod.spec.containers[].stdin
        [ "${lines[2]}" = "FIELD: stdin <boolean>" ]
        [ "${lines[4]}" = "    podctl: applied" ]
        [[ $output != *FIELDS:* ]]
        run -0 podctl explain pod.spec.volumes.nfs
        [ "${lines[2]}" = "FIELD: nfs <Object>" ]
        [[ ${lines[4]} == "    podctl: refused: podctl mounts no network or block storage"* ]]
        run -0 podctl explain pod.spec.nodeName
        [ "${lines[2]}" = "FIELD: nodeName" ]
        [[ ${lines[4]} == "    podctl: warned and ignored: scheduling"* ]]
        run -0 podctl explain pods
        [ "${lines[2]}" = "DESCRIPTION:" ]
        [[ $output == *"  spec	<PodSpec>"* ]]
        run -0 podctl explain cm
        [ "${lines[0]}" = "KIND:       ConfigMap" ]
        [[ $output == *"  data	<map[string]string>"* ]]
}

@test "explain: an unknown field or resource is kubectl's error, exit 1" {
        run -1 podctl explain pod.spec.bogus
        [ "$output" = 'error: field "bogus" does not exist' ]
        run -1 podctl explain pod.spec.containers.name.x
        [ "$output" = 'error: field "x" does not exist' ]
        run -1 podctl explain pod.spec.nodeName.x
        [ "$output" = 'error: field "x" does not exist' ]
        run -1 podctl explain deployment
        [ "$output" = "error: the server doesn't have a resource type \"deployment\"" ]
        run -1 podctl explain
        [[ $output == "error: You must specify the type of resource to explain."* ]]
        run -1 podctl explain pod --api-version=v2
        [ "$output" = 'error: couldn'"'"'t find resource for "v2"' ]
}

@test "explain --recursive: the field tree, each level indented two more" {
        run -0 podctl explain pod.spec.containers --recursive
        [[ $output == *"  env	<[]EnvVar>
    name	<string>
    value	<string>
    valueFrom	<EnvVarSource>
      configMapKeyRef	<KeySelector>
        key	<string>
"* ]]
        [[ ${output#*FIELDS:} != *podctl:* ]]
        run -0 podctl explain pod --recursive
        [[ $output == *"      livenessProbe	<Probe>"* ]]
}
