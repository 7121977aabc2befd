function __blob-rm_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __blob-rm_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __blob-rm_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __blob-rm_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __blob-rm_parse_tokens -S
    set -l unparsed_tokens (__blob-rm_tokens -pc)
    switch $unparsed_tokens[1]
    case 'blob-rm'
        __blob-rm_parse_subcommand -r 1 'field=+' 'expired' 'dry-run' 'install-lifecycle' 'lifecycle-days=' 'endpoint-url=' 'region=' 'profile=' 'access-key-id=' 'secret-access-key=' 'ca-bundle=' 'attempts=' 'addressing-style=' 'azure-connection-string=' 'part-size=' 'multipart-threshold=' 'part-jobs=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __blob-rm_parse_subcommand -r 1 'version'
        end
    end
end

function __blob-rm_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __blob-rm_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __blob-rm_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __blob-rm_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__blob-rm_tokens -p)
    if test -z "$(__blob-rm_tokens -t)"
        set -l index (count (__blob-rm_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'blob-rm' -f
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm"' -l 'field' -d 'Read records and remove the object whose URL is in this field (repeatable).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" expired' -l 'expired' -d 'Remove what has passed its expiry under each prefix URL.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" dry-run' -l 'dry-run' -d 'Say what would be removed (records marked "dry_run": true), remove nothing.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" install-lifecycle' -l 'install-lifecycle' -d 'Install S3 lifecycle rules on each s3://bucket[/prefix] instead: expire by the TTL tag, abort stale uploads.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" lifecycle-days' -l 'lifecycle-days' -d 'With --install-lifecycle: the longest TTL in days that gets a rule.' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" endpoint-url' -l 'endpoint-url' -d 'The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, then the profile\'s services section and endpoint_url, else AWS).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" region' -l 'region' -d 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; S3 alone falls back to us-east-1).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" profile' -l 'profile' -d 'AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" access-key-id' -l 'access-key-id' -d 'AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" secret-access-key' -l 'secret-access-key' -d 'AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer AWS_SECRET_ACCESS_KEY or a profile.' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" ca-bundle' -l 'ca-bundle' -d 'CA certificates (PEM) to verify AWS\'s TLS endpoints with (default: AWS_CA_BUNDLE, the profile\'s ca_bundle, else the system\'s).' -rF
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" attempts' -l 'attempts' -d 'Attempts per request before a throttle, network error or 5xx is final (then exit 75).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" addressing-style' -l 'addressing-style' -d 'S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" azure-connection-string' -l 'azure-connection-string' -d 'Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING, the safer way: a key or SAS here shows in ps).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" part-size' -l 'part-size' -d 'Part (and block) size for large transfers, 5M to 5G: bytes, or with K/M/G (MiB units).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" multipart-threshold' -l 'multipart-threshold' -d 'Files at least this large (at most 5G, S3\'s largest single PUT) use multipart (S3) or block (Azure) uploads and ranged downloads.' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" part-jobs' -l 'part-jobs' -d 'Parts or ranges of one object in flight at once (1 to 64; default 8).' -rfka ''
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" version' -l 'version' -d 'Show the version.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_positional "blob-rm" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'blob-rm' -n '__blob-rm_should_offer_completions_for_flags_or_options "blob-rm help" version' -l 'version' -d 'Show the version.'
