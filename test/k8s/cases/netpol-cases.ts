// NetworkPolicy semantics as data, modelled on the upstream e2e NetworkPolicy suite
// (namespaces x, y, z; pods a, b, c; one reachability matrix per probe), written in
// our own words. Each matrix has one row per source and one column per destination,
// in the order x/a x/b x/c y/a y/b y/c z/a z/b z/c: '.' reaches, 'X' is denied,
// '-' is the pod itself (not probed: upstream exempts loopback too).
// Pod addresses: 10.244.1.<n> and fd00:10:244:1::<n> with n = 11..13 (x),
// 21..23 (y), 31..33 (z). Every pod serves 80 and 81 over TCP, UDP and SCTP, under
// the names serve-<port>-<tcp|udp|sctp>.
import type { NetworkPolicy } from '../../../src/k8s-adapter/index.js';

export interface NetpolProbe {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  readonly family?: 4 | 6;
  readonly matrix: readonly string[];
}

export interface NetpolCase {
  readonly name: string;
  readonly policies: readonly NetworkPolicy[];
  readonly probes: readonly NetpolProbe[];
  readonly dualStack?: boolean;
}

export const NETPOL_CASES: readonly NetpolCase[] = [
  {
    "name": "no policies: everything reaches everything",
    "policies": [],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "deny all ingress in x",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny-ingress",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "policyTypes": [
            "Ingress"
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX......",
          "X-X......",
          "XX-......",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "XXX...-..",
          "XXX....-.",
          "XXX.....-"
        ]
      }
    ]
  },
  {
    "name": "deny all egress in x",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny-egress",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "policyTypes": [
            "Egress"
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          "X-XXXXXXX",
          "XX-XXXXXX",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          "X-XXXXXXX",
          "XX-XXXXXX",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "deny all ingress and egress in x",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny-all",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "policyTypes": [
            "Ingress",
            "Egress"
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          "X-XXXXXXX",
          "XX-XXXXXX",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "XXX...-..",
          "XXX....-.",
          "XXX.....-"
        ]
      }
    ]
  },
  {
    "name": "allow-all ingress beside deny-all: the union allows",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {}
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "allow-all",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {}
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "deny ingress to x/a only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny-a",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          }
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits pod b of its namespace",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-b",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits namespace y",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-y",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "...-.....",
          "....-....",
          ".....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits pod c of namespace y (both selectors in one peer)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-yc",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  },
                  "podSelector": {
                    "matchLabels": {
                      "pod": "c"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          ".....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits namespace y or pod c (two peers)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-y-or-c",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                },
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "c"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits every namespace",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-all-ns",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {}
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits namespaces not labelled ns=y",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-not-y",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchExpressions": [
                      {
                        "key": "ns",
                        "operator": "NotIn",
                        "values": [
                          "y"
                        ]
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits pods b and c of every namespace",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-bc",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {},
                  "podSelector": {
                    "matchExpressions": [
                      {
                        "key": "pod",
                        "operator": "In",
                        "values": [
                          "b",
                          "c"
                        ]
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "X..-.....",
          "....-....",
          ".....-...",
          "X.....-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x admits an ipBlock with an except (namespace y's addresses cut out)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "from-block",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "from": [
                {
                  "ipBlock": {
                    "cidr": "10.244.1.0/24",
                    "except": [
                      "10.244.1.20/30"
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits a /28 minus one host",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-28",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "ipBlock": {
                    "cidr": "10.244.1.16/28",
                    "except": [
                      "10.244.1.22/32"
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "...-.....",
          "X...-....",
          ".....-...",
          "......-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits TCP 80 from anyone, nothing else",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-80",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 80
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits its named port serve-80-tcp",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-named-80",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "port": "serve-80-tcp"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits its named UDP port serve-81-udp",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-named-udp-81",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "UDP",
                  "port": "serve-81-udp"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "UDP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits TCP 80-81 (endPort)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-80-81",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 80,
                  "endPort": 81
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits TCP 81-90 (endPort), not 80",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-81-90",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 81,
                  "endPort": 90
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits any UDP port (protocol without port)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-udp",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "UDP"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits SCTP 80 only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-sctp",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "SCTP",
                  "port": 80
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "SCTP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send nothing",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-no-egress",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send to namespace y only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-y",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX...XXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send to pod b of its namespace only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-b",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-.XXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send to an ipBlock holding z/a only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-block",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "ipBlock": {
                    "cidr": "10.244.1.30/31"
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXX.XX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send to the named port serve-81-tcp of any pod",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-named-81",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "ports": [
                {
                  "port": "serve-81-tcp"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a may send TCP 80 to namespace z only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-z-80",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "z"
                    }
                  }
                }
              ],
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 80
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXX...",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a: ingress from y, egress to z",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-in-out",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Ingress",
            "Egress"
          ],
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                }
              ]
            }
          ],
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "z"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXX...",
          "X-.......",
          "X.-......",
          "...-.....",
          "....-....",
          ".....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "two ingress policies on x/a: their union",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-b",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ]
            }
          ]
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-z",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "z"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "a policy selecting no pod changes nothing",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "selects-nobody",
          "namespace": "y"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "nobody"
            }
          }
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "policyTypes Egress ignores the ingress rules it carries",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "egress-only",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "policyTypes unset with egress rules: isolated both ways",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "implicit-types",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX...XXX",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "deny all ingress in every namespace",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {}
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny",
          "namespace": "y"
        },
        "spec": {
          "podSelector": {}
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny",
          "namespace": "z"
        },
        "spec": {
          "podSelector": {}
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          "X-XXXXXXX",
          "XX-XXXXXX",
          "XXX-XXXXX",
          "XXXX-XXXX",
          "XXXXX-XXX",
          "XXXXXX-XX",
          "XXXXXXX-X",
          "XXXXXXXX-"
        ]
      }
    ]
  },
  {
    "name": "each namespace admits only itself",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "same-ns",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {}
                }
              ]
            }
          ]
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "same-ns",
          "namespace": "y"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {}
                }
              ]
            }
          ]
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "same-ns",
          "namespace": "z"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {}
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-..XXXXXX",
          ".-.XXXXXX",
          "..-XXXXXX",
          "XXX-..XXX",
          "XXX.-.XXX",
          "XXX..-XXX",
          "XXXXXX-..",
          "XXXXXX.-.",
          "XXXXXX..-"
        ]
      }
    ]
  },
  {
    "name": "x admits namespaces named z (kubernetes.io/metadata.name)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "from-z-by-name",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchExpressions": [
                      {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": [
                          "z"
                        ]
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX......",
          "X-X......",
          "XX-......",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits pods that carry a pod label, in any namespace (Exists)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-labelled",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {},
                  "podSelector": {
                    "matchExpressions": [
                      {
                        "key": "pod",
                        "operator": "Exists"
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits pods without a pod label (DoesNotExist): nobody",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-unlabelled",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {},
                  "podSelector": {
                    "matchExpressions": [
                      {
                        "key": "pod",
                        "operator": "DoesNotExist"
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits the world except the pod network",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-world",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "ipBlock": {
                    "cidr": "0.0.0.0/0",
                    "except": [
                      "10.244.1.0/26"
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "dual stack: an IPv4 ipBlock admits IPv4 only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-v4",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "ipBlock": {
                    "cidr": "10.244.0.0/16"
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "family": 6,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ],
    "dualStack": true
  },
  {
    "name": "dual stack: a pod selector admits both families",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-b",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "family": 6,
        "matrix": [
          "-........",
          ".-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ],
    "dualStack": true
  },
  {
    "name": "dual stack: an IPv6 ipBlock with except",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-from-v6",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "ipBlock": {
                    "cidr": "fd00:10:244:1::/64",
                    "except": [
                      "fd00:10:244:1::20/123"
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "family": 6,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ],
    "dualStack": true
  },
  {
    "name": "x/a may send to the pod network minus z/b and z/c",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-block-except",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "ipBlock": {
                    "cidr": "10.244.1.0/24",
                    "except": [
                      "10.244.1.32/31"
                    ]
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-......XX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x/a admits UDP 80 from x/b only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-udp-from-b",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "podSelector": {
                    "matchLabels": {
                      "pod": "b"
                    }
                  }
                }
              ],
              "ports": [
                {
                  "protocol": "UDP",
                  "port": 80
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          "X-.......",
          "X.-......",
          "X..-.....",
          "X...-....",
          "X....-...",
          "X.....-..",
          "X......-.",
          "X.......-"
        ]
      }
    ]
  },
  {
    "name": "namespace y may send to namespace x only",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "y-to-x",
          "namespace": "y"
        },
        "spec": {
          "podSelector": {},
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "x"
                    }
                  }
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-XXXXX",
          "...X-XXXX",
          "...XX-XXX",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "x admits TCP 81 from anyone (rule without peers)",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "x-81",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {},
          "ingress": [
            {
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 81
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX......",
          "X-X......",
          "XX-......",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "XXX...-..",
          "XXX....-.",
          "XXX.....-"
        ]
      }
    ]
  },
  {
    "name": "deny-all plus a port rule from y on x/a",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "deny",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {}
        }
      },
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-80-from-y",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "ingress": [
            {
              "from": [
                {
                  "namespaceSelector": {
                    "matchLabels": {
                      "ns": "y"
                    }
                  }
                }
              ],
              "ports": [
                {
                  "protocol": "TCP",
                  "port": 80
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XX......",
          "X-X......",
          "XX-......",
          ".XX-.....",
          ".XX.-....",
          ".XX..-...",
          "XXX...-..",
          "XXX....-.",
          "XXX.....-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-XX......",
          "X-X......",
          "XX-......",
          "XXX-.....",
          "XXX.-....",
          "XXX..-...",
          "XXX...-..",
          "XXX....-.",
          "XXX.....-"
        ]
      }
    ]
  },
  {
    "name": "egress to a named port resolves on each destination pod",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-named-udp",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "namespaceSelector": {}
                }
              ],
              "ports": [
                {
                  "protocol": "UDP",
                  "port": "serve-80-udp"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "UDP",
        "port": 80,
        "matrix": [
          "-........",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "UDP",
        "port": 81,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  },
  {
    "name": "egress to a named port toward an ipBlock resolves on pods inside it",
    "policies": [
      {
        "kind": "NetworkPolicy",
        "metadata": {
          "name": "a-to-block-named",
          "namespace": "x"
        },
        "spec": {
          "podSelector": {
            "matchLabels": {
              "pod": "a"
            }
          },
          "policyTypes": [
            "Egress"
          ],
          "egress": [
            {
              "to": [
                {
                  "ipBlock": {
                    "cidr": "10.244.1.20/30"
                  }
                }
              ],
              "ports": [
                {
                  "port": "serve-81-tcp"
                }
              ]
            }
          ]
        }
      }
    ],
    "probes": [
      {
        "protocol": "TCP",
        "port": 81,
        "matrix": [
          "-XX...XXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      },
      {
        "protocol": "TCP",
        "port": 80,
        "matrix": [
          "-XXXXXXXX",
          ".-.......",
          "..-......",
          "...-.....",
          "....-....",
          ".....-...",
          "......-..",
          ".......-.",
          "........-"
        ]
      }
    ]
  }
];
