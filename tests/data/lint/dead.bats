# tests/lint's own test: every line marked "want Ln" must be reported with
# that rule, and no other line. Not run by bats.

@test "dead assertions" {
        ! true # want L1
        echo x
        [ -d /a ] && [ -d /b ] # want L2
        for i in 1 2; do
                ! false # want L1
        done
        grep -q a /etc/hostname || true # want L4
        run podctl get pod x # want L3
        [[ "$output" != *x* ]]
        run -0 podctl get pod x
        run ! podctl get pod x
        run podctl get pod y
        [ "$status" -eq 1 ]
        if ! false; then echo; fi
        while ! true; do :; done
        ! false || echo bad
        [ -f /x ] && skip "no x"
        [ -d /a ] && # want L2
                [ -d /b ]
        cat <<EOT
! not shell
[ -d /a ] && [ -d /b ]
EOT
        inner() {
                ! false # want L1
                echo
        }
        one_line() { [ -d /a ] && [ -d /b ]; }
        ! false
}

helper() {
        ! false # want L1
        [ -d /a ] && [ -d /b ]
}

@test "timed assertions" {
        start=$SECONDS
        podctl delete pod x
        [ $((SECONDS - start)) -lt 25 ] # want L5
        local t0=$(date +%s)
        elapsed=$(($(date +%s) - t0))
        [ "$elapsed" -le 3 ] # want L5
        (( EPOCHSECONDS - t0 < 5 )) # want L5
        [[ $EPOCHREALTIME < 9 ]] # want L5
        [ "$started" -lt 3 ]
        t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        [ "$ms" -lt 3000 ] # want L5
        [ "$ms" -ge 1900 ]
        value=$(date +%N)
        [ "$value" -lt 5 ]
        end=$((SECONDS + 5))
        [ $SECONDS -lt $end ] || return 1
        echo $((SECONDS - start))
}

@test "whole-host snapshots in a file not run alone" {
        before=$(snap) # want L6
        apply_capture apply -f x.yaml
        assert_no_new_trace "$before" # want L6
        # snap in a comment is fine; so is a word that only contains it: snapshot_of
        snapshot_of x
}
