#!/usr/bin/env bats
# podctl completion bash|zsh|fish and the man pages (make man / make
# install), generated from one table: every verb of `podctl help` has both.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

verbs() { podctl help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'; }

# complete WORDS...: what bash's completion offers for the last word
complete_words() {
        bash -c '
                source <("$0" completion bash)
                podctl() { "$0" "$@"; }
                COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1))
                _podctl
                printf "%s\n" "${COMPREPLY[@]}"
        ' "$PODCTL" "$@"
}

@test "completion bash: verbs, a verb's flags, and the Pods' names" {
        f=$(manifest comp <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: comp-pod
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        run -0 podctl apply -f "$f"
        run -0 complete_words podctl wa
        [ "$output" = wait ]
        run -0 complete_words podctl logs --all
        [ "$output" = --all-containers ]
        run -0 complete_words podctl logs comp
        [ "$output" = comp-pod ]
        run -0 complete_words podctl get pods -w --sort
        [ "$output" = --sort-by ]
        podctl delete pod comp-pod --force --grace-period=0 >/dev/null
}

@test "completion: every verb of podctl help is in bash, zsh and fish completion" {
        run -0 podctl completion bash
        bash_out=$output
        run -0 podctl completion zsh
        zsh_out=$output
        run -0 podctl completion fish
        fish_out=$output
        n=0
        for v in $(verbs); do
                [[ $bash_out == *"        $v) flags="* ]]
                [[ $zsh_out == *"'$v:"* ]]
                [[ $fish_out == *"-a $v -d"* ]]
                n=$((n + 1))
        done
        [ "$n" -ge 15 ]
        bash -n <(podctl completion bash)
        run -1 podctl completion tcsh
        [ "$output" = 'error: Unsupported shell type "tcsh".' ]
}

@test "make install: a man page per verb, and the completion scripts" {
        dest=$BATS_TEST_TMPDIR/dest
        make -C "$REPO" B="$B" DESTDIR="$dest" PREFIX=/usr install >/dev/null
        [ -x "$dest/usr/bin/podctl" ]
        [ -f "$dest/usr/share/bash-completion/completions/podctl" ]
        [ -f "$dest/usr/share/zsh/site-functions/_podctl" ]
        [ -f "$dest/usr/share/fish/vendor_completions.d/podctl.fish" ]
        [ -f "$dest/usr/share/man/man1/podctl.1" ]
        for v in $(verbs); do
                page=$dest/usr/share/man/man1/podctl-$v.1
                [ -f "$page" ]
                # a well-formed page that renders its synopsis
                run -0 groff -man -Tutf8 -ww -z "$page"
                [ -z "$output" ]
                man -l "$page" 2>/dev/null | grep -q "podctl $v"
        done
        man -l "$dest/usr/share/man/man1/podctl-cp.1" 2>/dev/null | grep -q -- "--container\|-c CONTAINER"
}
