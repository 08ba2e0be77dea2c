/**
 * Client matrix, group and idempotence parts: confluent-kafka-python 1.7.0
 * (librdkafka 2.0.2): subscribe in a group, commit, reopen without
 * redelivery; enable.idempotence=true.
 */
import { pythonGroupMatrix } from './helpers/python-groups.js';

pythonGroupMatrix('confluent-kafka-python (librdkafka): groups and idempotence', 'confluent_client.py', 'confluent-kafka-python', { idempotent: true });
